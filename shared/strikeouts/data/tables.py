"""Reading raw CSV files as text with their line numbers, so rejections can point at them."""

from __future__ import annotations

import gzip
from io import StringIO
from pathlib import Path

import pandas as pd

from strikeouts.data.files import DataFileError


def read_csv(path: Path, columns: list[str] | None = None) -> pd.DataFrame:
    """All cells as strings (NaN for empty), plus ``_line`` (1-based, header = 1) and ``_raw``.

    A missing or unreadable file, or one lacking a required column, raises
    :class:`DataFileError` naming the path and what was expected.
    """
    try:
        with (
            gzip.open(path, "rt", newline="")
            if path.suffix == ".gz"
            else path.open(newline="") as fh
        ):
            lines = fh.read().splitlines()
    except FileNotFoundError as exc:
        raise DataFileError(f"{path}: file not found") from exc
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise DataFileError(
            f"{path}: unreadable ({exc}); expected a UTF-8 CSV, optionally gzipped"
        ) from exc
    if not lines:
        raise DataFileError(f"{path}: empty file; expected a CSV header and rows")
    frame = pd.read_csv(
        StringIO("\n".join(lines)), dtype=str, keep_default_na=False, na_values=[""]
    )
    missing = [c for c in (columns or []) if c not in frame.columns]
    if missing:
        raise DataFileError(
            f"{path}: missing column(s) {missing}; found {list(frame.columns)[:12]}..."
        )
    frame["_line"] = range(2, len(frame) + 2)
    frame["_raw"] = lines[1 : len(frame) + 1]
    return frame
