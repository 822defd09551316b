"""In-sample rows marked: a row whose model was fitted on starts of its date or later is flagged in
the views, left out of accuracy, calibration and ROI by default in ``monitor`` and the report
(counted in when asked), and both say how many there were. The replayed week, predicted by
champions fitted before its first date (the demo's case), has none."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from strikeouts.monitoring.report import write_report
from strikeouts.monitoring.service import monitor
from strikeouts.monitoring.views import rollup
from strikeouts.pipeline.config import PipelineConfig
from strikeouts.settings import Settings
from strikeouts.warehouse import Warehouse

from .conftest import CHALLENGER_END, FIRST, LAST, VIEW_SYSTEMS, OpenLoaded, Rows

pytestmark = pytest.mark.data
NOW = dt.datetime(2025, 6, 17, 12, tzinfo=dt.UTC)
SYSTEM = "v1_baseline"
FITTED_AFTER = LAST + dt.timedelta(days=1)
CONFIG = PipelineConfig(expected_systems=list(VIEW_SYSTEMS))


def _days(values: pd.Series) -> set[dt.date]:
    return {pd.Timestamp(v).date() for v in values.dropna()}


def _fit_after_the_week(warehouse: Warehouse) -> int:
    """SYSTEM's rows as if its model had been fitted on starts up to the day after the week;
    returns how many rows that is."""
    warehouse.execute(
        "UPDATE pitcher_strikeout_predictions SET train_end = @end WHERE system_id = @system",
        {"end": FITTED_AFTER, "system": SYSTEM},
    )
    count = warehouse.query(
        "SELECT COUNT(*) AS n FROM graded_predictions WHERE system_id = @system",
        {"system": SYSTEM},
    )
    return int(count["n"].iloc[0])


def _checks(
    warehouse: Warehouse, settings: Settings, *, include: bool = False
) -> dict[str, tuple[str, str, float | None]]:
    names = ["in_sample_rows", "win_rate_per_system", "p_over_calibration_drift"]
    results = monitor(
        warehouse,
        LAST,
        settings,
        now=NOW,
        names=names,
        create_views=False,
        config=CONFIG,
        include_in_sample=include,
    )
    return {r.check: (r.status, r.detail, r.value) for r in results}


def test_the_replayed_week_was_predicted_out_of_sample(
    replayed_rows: Rows, open_loaded: OpenLoaded, settings: Settings
) -> None:
    rows = replayed_rows["pitcher_strikeout_predictions"]
    answered = rows[rows["predicted_strikeouts"].notna()]
    # every row that answered says what its model was fitted before: the first date, for the
    # systems and the ensemble alike
    assert answered["train_end"].notna().all()
    assert _days(rows["train_end"]) == {FIRST}
    assert set(answered["system_id"]) == {*VIEW_SYSTEMS, "ensemble_v1"}
    assert _days(replayed_rows["shadow_predictions"]["train_end"]) == {CHALLENGER_END}

    warehouse = open_loaded("duckdb")
    flagged = warehouse.query("SELECT COUNTIF(in_sample) AS n FROM graded_predictions")
    assert int(flagged["n"].iloc[0]) == 0
    status, detail, value = _checks(warehouse, settings)["in_sample_rows"]
    assert (status, value) == ("pass", 0.0)
    assert detail.startswith("no row in sample")


def test_a_model_fitted_after_its_rows_dates_is_flagged_in_every_view(
    open_loaded: OpenLoaded,
) -> None:
    warehouse = open_loaded("duckdb")
    _fit_after_the_week(warehouse)
    graded = warehouse.query(
        "SELECT system_id, LOGICAL_AND(in_sample) AS every, LOGICAL_OR(in_sample) AS some "
        "FROM graded_predictions GROUP BY system_id ORDER BY system_id"
    ).set_index("system_id")
    assert bool(graded.loc[SYSTEM, "every"])
    assert not graded.drop(SYSTEM)["some"].any()
    for view in ("system_performance", "system_agreement", "confidence_calibration"):
        daily = warehouse.query(f"SELECT system_id, in_sample FROM {view}")
        assert set(daily.loc[daily["in_sample"], "system_id"]) == {SYSTEM}, view
    thirty = warehouse.query("SELECT system_id FROM system_performance_30d")
    assert SYSTEM not in set(thirty["system_id"]) and len(thirty) > 0
    # a challenger is not judged beside a champion's in-sample rows
    pairs = warehouse.query("SELECT system_id FROM challenger_comparison")
    assert SYSTEM not in set(pairs["system_id"])


def test_windows_leave_in_sample_rows_out_unless_asked(open_loaded: OpenLoaded) -> None:
    warehouse = open_loaded("duckdb")
    views = {
        "system_performance": ("system_id",),
        "system_agreement": ("agreement", "system_id"),
        "confidence_calibration": ("confidence_bucket", "system_id"),
    }
    before = {v: rollup(warehouse, v, FIRST, LAST, by) for v, by in views.items()}
    _fit_after_the_week(warehouse)
    for view, by in views.items():
        left_out = rollup(warehouse, view, FIRST, LAST, by)
        counted = rollup(warehouse, view, FIRST, LAST, by, include_in_sample=True)
        assert SYSTEM in set(before[view]["system_id"])
        pd.testing.assert_frame_equal(
            left_out.reset_index(drop=True),
            before[view][before[view]["system_id"] != SYSTEM].reset_index(drop=True),
        )
        pd.testing.assert_frame_equal(counted, before[view])


def test_monitor_leaves_them_out_of_accuracy_and_says_how_many(
    open_loaded: OpenLoaded, settings: Settings
) -> None:
    warehouse = open_loaded("duckdb")
    clean = _checks(warehouse, settings)
    assert SYSTEM in clean["win_rate_per_system"][1]
    assert SYSTEM in clean["p_over_calibration_drift"][1]
    flagged = _fit_after_the_week(warehouse)

    excluded = _checks(warehouse, settings)
    status, detail, value = excluded["in_sample_rows"]
    assert (status, value) == ("fail", float(flagged))
    assert f"{flagged} row(s) in sample: {SYSTEM} {flagged} (" in detail
    assert f"fitted before {FITTED_AFTER}" in detail and "excluded from accuracy" in detail
    for check in ("win_rate_per_system", "p_over_calibration_drift"):
        assert SYSTEM not in excluded[check][1], check
        assert VIEW_SYSTEMS[1] in excluded[check][1], check

    included = _checks(warehouse, settings, include=True)
    assert "INCLUDED" in included["in_sample_rows"][1]
    assert {c: r[1] for c, r in included.items() if c != "in_sample_rows"} == {
        c: r[1] for c, r in clean.items() if c != "in_sample_rows"
    }


def test_the_report_leaves_them_out_and_says_how_many(
    open_loaded: OpenLoaded, tmp_path: Path
) -> None:
    warehouse = open_loaded("duckdb")
    flagged = _fit_after_the_week(warehouse)
    trace = f'"name":"{SYSTEM}"'
    left_out = write_report(warehouse, FIRST, LAST, tmp_path / "out", create_views=False)
    page = left_out.read_text()
    assert f"{flagged} row(s) in sample: {SYSTEM} {flagged} (" in page
    assert "excluded from accuracy, calibration and ROI" in page
    assert trace not in page  # no chart draws the system's in-sample rows
    counted = write_report(
        warehouse, FIRST, LAST, tmp_path / "in", create_views=False, include_in_sample=True
    )
    page = counted.read_text()
    assert "INCLUDED in accuracy" in page and trace in page
