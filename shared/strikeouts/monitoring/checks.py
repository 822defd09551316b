"""The check catalog's machinery: a check is a name, a severity and a function of the context.

Invariant: a check either judges (pass or fail, with the value it measured and the threshold it
held it to) or says why it cannot (skipped, never a silent pass); a failed critical check makes
the whole run fail. Checks read the warehouse only through BigQuery SQL (the views where they
exist), so one catalog runs on DuckDB and on BigQuery alike.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import pandas as pd

from strikeouts.pipeline.config import PipelineConfig
from strikeouts.settings import Settings
from strikeouts.warehouse.base import Warehouse, WarehouseError

Severity = Literal["critical", "warning", "info"]
Status = Literal["pass", "fail", "skipped"]
SEVERITIES: tuple[Severity, ...] = ("critical", "warning", "info")
EMBEDDED_WAREHOUSE = "duckdb"


@dataclass(frozen=True)
class Finding:
    """What one check measured: ``passed`` None means it could not judge (see ``detail``)."""

    passed: bool | None
    value: float | None
    threshold: float | None
    detail: str


@dataclass(frozen=True)
class CheckContext:
    """Everything a check reads: the warehouse, the date checked, the window and thresholds."""

    warehouse: Warehouse
    date: dt.date
    settings: Settings
    now: dt.datetime
    config: PipelineConfig = field(default_factory=PipelineConfig)
    embedded: bool | None = None
    """The embedded path (DuckDB, the synchronous runner); None: judged by the warehouse."""
    include_in_sample: bool = False
    """Whether accuracy, calibration and ROI checks count in-sample rows (default: left out)."""

    @property
    def on_embedded(self) -> bool:
        """Whether the checked warehouse is the embedded path's (no tick, no staging)."""
        if self.embedded is not None:
            return self.embedded
        return self.warehouse.name == EMBEDDED_WAREHOUSE

    @property
    def window_start(self) -> dt.date:
        """First date of the window that ends on ``date``."""
        return self.date - dt.timedelta(days=self.settings.monitor.window_days - 1)

    @property
    def expected_systems(self) -> tuple[str, ...]:
        """Every system expected to write a row per pitcher-game, the ensemble included when
        this deployment writes it."""
        ensemble = (self.config.ensemble_system_id,) if self.config.write_ensemble else ()
        return (*self.config.expected_systems, *ensemble)

    def query(self, sql: str, **params: Any) -> pd.DataFrame:
        """Run ``sql`` with ``@date``, ``@start`` and ``@now`` bound, plus ``params``."""
        bound = {"date": self.date, "start": self.window_start, "now": self.now, **params}
        used = {k: v for k, v in bound.items() if f"@{k}" in sql}
        return self.warehouse.query(sql, used)

    def optional_query(self, sql: str, **params: Any) -> pd.DataFrame | None:
        """``query``, or None when a table it reads does not exist on this warehouse."""
        try:
            return self.query(sql, **params)
        except WarehouseError as exc:
            text = str(exc).lower()
            if "not found" in text or "does not exist" in text or "lacks a table" in text:
                return None
            raise


@dataclass(frozen=True)
class Check:
    """A named check of the catalog."""

    name: str
    severity: Severity
    summary: str
    """What passing means."""
    runbook: str
    """What to do when it fails."""
    run: Callable[[CheckContext], Finding]
    cloud_only: str | None = None
    """Why the check does not apply on the embedded path (then it is skipped there, whatever
    tables exist); None: it applies on both."""


@dataclass(frozen=True)
class CheckResult:
    """One check's outcome, ready for a table, JSON or a log entry."""

    check: str
    severity: Severity
    status: Status
    value: float | None
    threshold: float | None
    detail: str

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return asdict(self)


def run_check(check: Check, context: CheckContext) -> CheckResult:
    """Run one check (a cloud-only one is skipped on the embedded path, with its reason); an
    error while checking is a failure of that check, named."""
    try:
        if check.cloud_only and context.on_embedded:
            finding = skipped(f"cloud only: {check.cloud_only}")
        else:
            finding = check.run(context)
    except (WarehouseError, ValueError, KeyError) as exc:
        finding = Finding(False, None, None, f"could not run: {exc}".splitlines()[0])
    status: Status = "skipped" if finding.passed is None else ("pass" if finding.passed else "fail")
    return CheckResult(
        check=check.name,
        severity=check.severity,
        status=status,
        value=_rounded(finding.value),
        threshold=finding.threshold,
        detail=finding.detail,
    )


def run_checks(checks: Sequence[Check], context: CheckContext) -> list[CheckResult]:
    """Every check of ``checks`` in order."""
    return [run_check(check, context) for check in checks]


def failed_critical(results: Sequence[CheckResult]) -> list[str]:
    """Names of the critical checks that failed."""
    return [r.check for r in results if r.severity == "critical" and r.status == "fail"]


def _rounded(value: float | None) -> float | None:
    if value is None or pd.isna(value) or math.isinf(value):
        return None  # JSON has no infinity: the detail says what could not be measured
    return round(float(value), 6)


def scalar(frame: pd.DataFrame, column: str) -> float | None:
    """The first row's ``column`` as a float, None when empty or NULL."""
    if frame.empty or pd.isna(frame[column].iloc[0]):
        return None
    return float(frame[column].iloc[0])


def at_most(value: float, threshold: float, detail: str) -> Finding:
    """Pass when ``value`` <= ``threshold``."""
    return Finding(value <= threshold, value, threshold, detail)


def at_least(value: float, threshold: float, detail: str) -> Finding:
    """Pass when ``value`` >= ``threshold``."""
    return Finding(value >= threshold, value, threshold, detail)


def skipped(detail: str, threshold: float | None = None) -> Finding:
    """A check that cannot judge on this data, and why."""
    return Finding(None, None, threshold, detail)
