"""Soak gates between rollout phases: ``strikeouts deploy gate --phase N --date D``.

Invariant: a phase is entered only after the previous one soaked as the replaced system
required (SEED_RULES, Deploy; issue 19): 24 h (one graded game day) of phase 1 before phase 2,
one graded game day of phase 2 before the ensemble (phase 3), and 7 graded game days of phase
3 before its weights are tuned ("phase 4"). A soak day counts only when results are in (graded
rows) and every critical check passes for it under the previous phase's configuration (its
expected systems, ensemble on or off), error share included; the gate names what is missing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from strikeouts.monitoring.catalog import CATALOG
from strikeouts.monitoring.checks import failed_critical
from strikeouts.monitoring.service import monitor
from strikeouts.pipeline.config import PipelineConfig
from strikeouts.settings import Settings
from strikeouts.warehouse.base import Warehouse

BASELINE = ("v1_baseline",)
BOTH = ("v1_baseline", "v1_6_rolling")
# a soak day is judged on these alone: warnings and figures would be computed only to be ignored
CRITICAL = tuple(c.name for c in CATALOG if c.severity == "critical")


@dataclass(frozen=True)
class Soak:
    """What the phase before ``phase`` must have run: its systems, ensemble and game days."""

    phase: int
    previous: int
    systems: tuple[str, ...]
    ensemble: bool
    days: int
    reason: str


SOAKS: dict[int, Soak] = {
    s.phase: s
    for s in (
        Soak(2, 1, BASELINE, False, 1, "24 h of phase 1 before a second system (the seed)"),
        Soak(3, 2, BOTH, False, 1, "a graded game day of both systems before the ensemble"),
        Soak(4, 3, BOTH, True, 7, "7 days of monitoring the ensemble before tuning its weights"),
    )
}


@dataclass(frozen=True)
class GateReport:
    """The gate's verdict: each soak day looked at, and what is missing."""

    soak: Soak
    days: list[str]
    missing: list[str]

    @property
    def passed(self) -> bool:
        return not self.missing


def soak_of(phase: int) -> Soak:
    """The soak entering ``phase`` needs; ValueError naming the phases that have one."""
    if phase not in SOAKS:
        raise ValueError(f"--phase {phase}: no gate; phases with a soak gate: {sorted(SOAKS)}")
    return SOAKS[phase]


def game_days(warehouse: Warehouse, date: dt.date, limit: int) -> list[dt.date]:
    """The newest ``limit`` dates up to ``date`` with graded prediction rows, newest first."""
    frame = warehouse.query(
        "SELECT game_date FROM system_performance WHERE game_date <= @date "
        f"GROUP BY game_date HAVING SUM(graded) > 0 ORDER BY game_date DESC LIMIT {int(limit)}",
        {"date": date},
    )
    return [d.date() if hasattr(d, "date") else d for d in frame["game_date"]]


def gate(warehouse: Warehouse, phase: int, date: dt.date, settings: Settings) -> GateReport:
    """Whether phase ``phase`` may start on ``date``: the previous phase's soak days checked."""
    soak = soak_of(phase)
    config = PipelineConfig(expected_systems=list(soak.systems), write_ensemble=soak.ensemble)
    days = game_days(warehouse, date, soak.days)
    lines, missing = [], []
    if len(days) < soak.days:
        missing.append(
            f"{len(days)} of {soak.days} graded game day(s) of phase {soak.previous} up to {date}"
        )
    for day in days:
        results = monitor(
            warehouse, day, settings, names=CRITICAL, config=config, create_views=False
        )
        failed = failed_critical(results)
        lines.append(
            f"{day}: " + ("critical checks pass" if not failed else "failed " + ", ".join(failed))
        )
        for result in results:
            if result.check in failed:
                missing.append(f"{day} {result.check}: {result.detail}")
    return GateReport(soak, lines, missing)
