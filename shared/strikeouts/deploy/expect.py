"""What a deployment should be: the functions, the systems, the ensemble and the sources.

Invariant: the expectation comes from configuration (the command line, ``terraform output``,
PipelineConfig), never from what is found deployed, so a missing function or system is seen
as missing rather than as "nothing to check".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from strikeouts.cloud.functions import SYSTEM_PREFIX, system_function, system_of
from strikeouts.jsonfile import read_json_object

# the event pipeline's functions other than the systems', on every backend
CORE_FUNCTIONS = ("fanout", "ensemble", "ensemble_tick")
__all__ = [
    "CORE_FUNCTIONS",
    "SYSTEM_PREFIX",
    "Expectation",
    "TerraformOutputs",
    "parse_systems",
    "system_function",
    "system_of",
]


@dataclass(frozen=True)
class Expectation:
    """The deployment validate holds the backend to."""

    date: dt.date
    systems: tuple[str, ...]
    ensemble: bool
    ensemble_id: str = "ensemble_v1"
    since: dt.datetime | None = None
    """Dead letters count from here; None: from the deploy time the backend reports."""
    extra_functions: tuple[str, ...] = ()
    """Functions expected besides the pipeline's (terraform's list, the stack's game day)."""
    sources: Mapping[str, str] = field(default_factory=dict)
    """Function → the source it must run (a GCS object, or a tree hash on the stack)."""

    @property
    def functions(self) -> tuple[str, ...]:
        """Every function expected, pipeline first, each once."""
        wanted = (*CORE_FUNCTIONS, *(system_function(s) for s in self.systems))
        return tuple(dict.fromkeys((*wanted, *self.extra_functions)))

    @property
    def row_systems(self) -> tuple[str, ...]:
        """Systems that write a row per pitcher-game: the expected ones, plus the ensemble."""
        return (*self.systems, *((self.ensemble_id,) if self.ensemble else ()))


@dataclass(frozen=True)
class TerraformOutputs:
    """The outputs of ``terraform output -json`` that deploy commands read (all optional)."""

    function_names: dict[str, str] = field(default_factory=dict)
    function_source_objects: dict[str, str] = field(default_factory=dict)
    expected_systems: tuple[str, ...] | None = None
    write_ensemble: bool | None = None
    warehouse: str | None = None
    models_bucket: str | None = None

    @classmethod
    def read(cls, path: Path) -> TerraformOutputs:
        """Parse ``terraform output -json`` (``{"name": {"value": ...}}``) or plain values."""
        raw = read_json_object(path, "--terraform-output", "a JSON object of outputs")
        values = {k: v["value"] if _wrapped(v) else v for k, v in raw.items()}
        systems = values.get("expected_systems")
        ensemble = values.get("write_ensemble")
        return cls(
            function_names=_strings(values.get("function_names"), "function_names"),
            function_source_objects=_strings(
                values.get("function_source_objects"), "function_source_objects"
            ),
            expected_systems=None if systems is None else tuple(str(s) for s in systems),
            write_ensemble=None if ensemble is None else bool(ensemble),
            warehouse=values.get("warehouse"),
            models_bucket=(values.get("buckets") or {}).get("models"),
        )


def _wrapped(value: Any) -> bool:
    return (
        isinstance(value, dict) and "value" in value and ("type" in value or "sensitive" in value)
    )


def _strings(value: Any, name: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError(f"terraform output {name} must be a map, got {type(value).__name__}")
    return {str(k): str(v) for k, v in value.items()}


def parse_systems(text: str | None, default: Iterable[str]) -> tuple[str, ...]:
    """``a,b`` → (a, b); the default when not given; ValueError on an empty list."""
    if text is None:
        return tuple(default)
    systems = tuple(s.strip() for s in text.split(",") if s.strip())
    if not systems:
        raise ValueError(f"--expected-systems {text!r} names no system")
    return systems
