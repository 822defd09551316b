"""Every check of the catalog is made to fail: one fault on the real replayed week per check,
the check passing (or skipping) before it and failing after. Faults that need more than a few
statements (a stalled tick, a staged row, a dead letter, duplicates, error rows) are in
``test_checks.py``; ``test_every_check_has_a_failing_test`` holds the two lists to the catalog.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import pytest

from strikeouts.monitoring.catalog import CATALOG
from strikeouts.monitoring.checks import CheckResult
from strikeouts.monitoring.service import monitor
from strikeouts.settings import Settings
from strikeouts.warehouse import Warehouse

from .conftest import FIRST, LAST, OpenLoaded

pytestmark = pytest.mark.data
NOW = dt.datetime(2025, 6, 17, 12, tzinfo=dt.UTC)
TABLE = "pitcher_strikeout_predictions"
ACTUAL = (
    "(SELECT s.strikeouts FROM pitcher_starts AS s "
    f"WHERE s.game_id = {TABLE}.game_id AND s.pitcher_id = {TABLE}.pitcher_id)"
)
LOSING_SIDE = f"CASE WHEN {ACTUAL} > line THEN 'UNDER' ELSE 'OVER' END"
# the checks whose failing tests live in test_checks.py (they need more than statements)
FAILED_IN_TEST_CHECKS = {
    "coverage_complete",
    "system_silent",
    "error_share",
    "ensemble_weighted_average",
    "duplicate_keys",
    "orphan_pitcher_games",
    "agreement_rate",
    "agreement_collapse",
    "dead_letters_24h",
    "tick_recent",
    "staged_rows_unmerged",
}


@dataclass(frozen=True)
class Fault:
    """Statements that break what one check watches, and the date it is checked on."""

    statements: tuple[str, ...]
    date: dt.date = LAST
    monitor: dict[str, Any] = field(default_factory=dict)
    rows: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Rows merged into tables after the statements (table -> one row)."""


def _calls_lose(system: str) -> str:
    """Every call of ``system`` over the window on the side that lost."""
    return (
        f"UPDATE {TABLE} SET recommendation = {LOSING_SIDE} WHERE system_id = '{system}' "
        f"AND recommendation IN ('OVER', 'UNDER') AND line IS NOT NULL AND {ACTUAL} != line"
    )


FAULTS: dict[str, Fault] = {
    "null_system_ids": Fault(
        (f"UPDATE {TABLE} SET system_id = '' WHERE game_date = @d AND system_id = 'v1_baseline'",)
    ),
    "rejected_messages_24h": Fault(
        (),
        rows={
            "rejected_messages": {
                "handler": "fanout",
                "payload_sha256": "0" * 64,
                "raw_payload": "{not json",
                "reason": "InvalidMessage: not JSON",
                "received_at": NOW - dt.timedelta(hours=1),
            }
        },
    ),
    "fallback_rate": Fault(
        (
            f"UPDATE {TABLE} SET status = 'fallback' WHERE game_date = @d AND system_id = 'ensemble_v1'",
        )
    ),
    "schedule_to_last_row": Fault(
        (
            f"UPDATE {TABLE} SET created_at = TIMESTAMP_ADD(run_created_at, INTERVAL 3 HOUR) "
            "WHERE game_date = @d AND system_id = 'v1_baseline'",
        )
    ),
    "data_freshness": Fault(
        ("DELETE FROM pitcher_starts WHERE game_date >= DATE_SUB(@d, INTERVAL 4 DAY)",)
    ),
    "feature_coverage_drop": Fault(
        (
            f"UPDATE {TABLE} SET feature_coverage = feature_coverage - 0.3 "
            "WHERE game_date = @d AND system_id = 'v1_6_rolling'",
        )
    ),
    "p_over_calibration_drift": Fault(
        (
            f"UPDATE {TABLE} SET p_over = 0.97 WHERE system_id = 'v1_baseline' AND p_over IS NOT NULL",
        )
    ),
    "win_rate_per_system": Fault((_calls_lose("v1_baseline"),)),
    "ensemble_vs_best": Fault(
        (
            f"UPDATE {TABLE} SET predicted_strikeouts = predicted_strikeouts + 2 "
            "WHERE system_id = 'ensemble_v1'",
        )
    ),
    "ensemble_win_rate_vs_best": Fault((_calls_lose("ensemble_v1"),)),
    # checked 3 days after the week: the window (10 days) holds all of it, the last 7 days
    # only its last 4, and only those err 3 K more
    "weekly_trend": Fault(
        (
            f"UPDATE {TABLE} SET predicted_strikeouts = predicted_strikeouts + 3 "
            "WHERE system_id = 'ensemble_v1' AND game_date > DATE_SUB(@d, INTERVAL 7 DAY)",
        ),
        date=LAST + dt.timedelta(days=3),
        monitor={"window_days": 10},
    ),
    "recommendation_mix": Fault(
        (
            f"UPDATE {TABLE} SET recommendation = 'OVER' WHERE system_id = 'v1_6_rolling' "
            "AND recommendation = 'UNDER'",
        )
    ),
    "top_red_flags": Fault((f"UPDATE {TABLE} SET red_flags = ['injected_flag']",)),
    # v1_baseline's model fitted on starts up to the day after each row's game
    "in_sample_rows": Fault(
        (
            f"UPDATE {TABLE} SET train_end = DATE_ADD(game_date, INTERVAL 1 DAY) "
            "WHERE system_id = 'v1_baseline'",
        )
    ),
}


def _check(warehouse: Warehouse, settings: Settings, name: str, fault: Fault) -> CheckResult:
    (result,) = monitor(
        warehouse,
        fault.date,
        settings.model_copy(update={"monitor": settings.monitor.model_copy(update=fault.monitor)}),
        now=NOW,
        names=[name],
        create_views=False,
    )
    return result


def test_every_check_has_a_failing_test() -> None:
    names = {c.name for c in CATALOG}
    assert set(FAULTS) | FAILED_IN_TEST_CHECKS == names
    assert not set(FAULTS) & FAILED_IN_TEST_CHECKS


@pytest.mark.parametrize("name", sorted(FAULTS))
def test_the_fault_fails_the_check(open_loaded: OpenLoaded, settings: Settings, name: str) -> None:
    fault = FAULTS[name]
    warehouse = open_loaded("duckdb")
    before = _check(warehouse, settings, name, fault)
    assert before.status != "fail", before
    for statement in fault.statements:
        warehouse.execute(statement, {"d": fault.date} if "@d" in statement else None)
    for table, row in fault.rows.items():
        warehouse.merge(table, pd.DataFrame([row]))
    after = _check(warehouse, settings, name, fault)
    assert after.status == "fail", after
    assert after.detail


def test_the_replayed_week_starts_before_the_faults() -> None:
    assert LAST - dt.timedelta(days=4) > FIRST  # the weekly_trend fault leaves earlier days


def test_the_30_day_view_is_the_rollup_of_its_30_days(
    open_loaded: OpenLoaded,
) -> None:
    """The seed's 30-day system_performance, confidence avg/min/max included, is exactly
    views.rollup over the 30 days ending on the newest date (no second formula drifts)."""
    from strikeouts.monitoring.views import rollup

    warehouse = open_loaded("duckdb")
    view = warehouse.query("SELECT * FROM system_performance_30d ORDER BY system_id")
    summed = rollup(warehouse, "system_performance", LAST - dt.timedelta(days=29), LAST)
    assert set(view["last_date"].astype(str)) == {str(LAST)}
    columns = [c for c in summed.columns if c in view.columns]
    assert {"confidence_avg", "confidence_min", "confidence_max", "mae", "answered"} <= set(columns)
    pd.testing.assert_frame_equal(
        view[columns].reset_index(drop=True),
        summed[columns].reset_index(drop=True),
        check_dtype=False,
    )
    assert (view["confidence_min"] <= view["confidence_avg"]).all()
    assert (view["confidence_avg"] <= view["confidence_max"]).all()
