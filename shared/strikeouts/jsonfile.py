"""Reading a JSON object a user points an option at: errors name the option and the file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def read_json_object(path: Path, option: str, what: str = "a JSON object") -> dict[str, Any]:
    """The JSON object in ``path``; ValueError naming ``option`` and ``path`` otherwise."""
    try:
        value = json.loads(path.read_text())
    except OSError as exc:
        raise ValueError(f"{option} {path}: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"{option} {path} is not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise ValueError(f"{option} {path}: expected {what}, not {type(value).__name__}")
    return value
