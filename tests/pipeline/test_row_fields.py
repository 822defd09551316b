"""What a row records beyond the prediction: when its line was quoted and how long before first
pitch, the explicit injured-list input, the ensemble's agreement and components, and what each
row's model was fitted before."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pandas as pd
import pytest

from strikeouts.names import GAME_SCHEDULE
from strikeouts.pipeline.clock import FakeClock
from strikeouts.warehouse.duckdb_backend import DuckDBWarehouse

from .conftest import PipelineFactory
from .doubles import schedule_event, two_systems
from .test_flow import predictions

GAME_TIME = "2024-06-01T23:05:00Z"
SNAPSHOT = "2024-06-01T14:35:00Z"


def live_event(clock: FakeClock, **starter: Any) -> dict[str, Any]:
    event = schedule_event(clock)
    game = event["games"][0]
    game["game_time"] = GAME_TIME
    for s in game["starters"]:
        s["line"]["snapshot_at"] = SNAPSHOT
    game["starters"][0].update(starter)
    return event


def test_rows_record_the_lines_snapshot_and_minutes_before_first_pitch(
    make_pipeline: PipelineFactory, warehouse: DuckDBWarehouse, clock: FakeClock
) -> None:
    pipe = make_pipeline(two_systems(6.0, 7.0))
    pipe.bus.publish(GAME_SCHEDULE, live_event(clock))
    pipe.bus.run()
    rows = predictions(warehouse)
    assert len(rows) == 6
    assert rows["minutes_before_game"].tolist() == pytest.approx([8.5 * 60] * 6)
    assert {str(t)[:16] for t in rows["line_snapshot_at"]} == {"2024-06-01 14:35"}
    assert rows["processed_at"].notna().all()
    ensemble = rows[rows["system_id"] == "ensemble_v1"].iloc[0]
    assert ensemble["agreement"] == "moderate"  # a 1.0 K spread is not below 1.0
    components = json.loads(ensemble["components_json"])
    assert components["v1_6_rolling"]["predicted_strikeouts"] == 7.0


def test_without_a_snapshot_or_a_game_time_the_minutes_are_unknown(
    make_pipeline: PipelineFactory, warehouse: DuckDBWarehouse, clock: FakeClock
) -> None:
    pipe = make_pipeline(two_systems())
    pipe.bus.publish(GAME_SCHEDULE, schedule_event(clock))
    pipe.bus.run()
    rows = predictions(warehouse)
    assert rows["minutes_before_game"].isna().all() and rows["line_snapshot_at"].isna().all()


def test_the_injured_list_input_skips_that_starter_only(
    make_pipeline: PipelineFactory, warehouse: DuckDBWarehouse, clock: FakeClock
) -> None:
    pipe = make_pipeline(two_systems())
    pipe.bus.publish(GAME_SCHEDULE, live_event(clock, injured_list=True))
    pipe.bus.run()
    rows = predictions(warehouse)
    hurt = rows[rows["pitcher_id"] == 600000]
    healthy = rows[rows["pitcher_id"] == 600001]
    assert set(hurt["status"]) == {"skip"}
    assert all("injured_list" in list(f) for f in hurt["red_flags"])
    assert hurt["confidence"].isna().all()
    assert set(healthy["status"]) == {"ok"}
    assert not any("injured_list" in list(f) for f in healthy["red_flags"])


def test_rows_carry_their_models_train_end_and_the_ensemble_its_latest_members(
    make_pipeline: PipelineFactory, warehouse: DuckDBWarehouse, clock: FakeClock
) -> None:
    """Each system row records what its model was fitted before (so a view can flag it in
    sample with no model store); the ensemble row the latest of the members it combined, and a
    member that failed (no train_end on its error row) does not count."""
    baseline, rolling = two_systems()
    baseline.train_end, rolling.train_end = date(2024, 5, 1), date(2024, 6, 15)
    pipe = make_pipeline([baseline, rolling])
    pipe.bus.publish(GAME_SCHEDULE, schedule_event(clock))
    pipe.bus.run()
    rows = predictions(warehouse).set_index("system_id")
    ends = rows["train_end"].map(lambda d: pd.Timestamp(d).date())
    assert set(ends["v1_baseline"]) == {date(2024, 5, 1)}
    assert set(ends["v1_6_rolling"]) == {date(2024, 6, 15)}
    assert set(ends["ensemble_v1"]) == {date(2024, 6, 15)}

    baseline.train_end, rolling.fail = date(2024, 5, 2), True
    again = make_pipeline([baseline, rolling])
    again.bus.publish(GAME_SCHEDULE, schedule_event(clock, run_id="run-b"))
    again.bus.run()
    rows = predictions(warehouse)
    rows = rows[rows["run_id"] == "run-b"].set_index("system_id")
    assert rows.loc["v1_6_rolling", "train_end"].isna().all()
    ensemble = rows.loc["ensemble_v1"]
    assert set(ensemble["status"]) == {"fallback"}
    assert {pd.Timestamp(d).date() for d in ensemble["train_end"]} == {date(2024, 5, 2)}
