"""What a row records beyond the prediction: when its line was quoted and how long before first
pitch, the explicit injured-list input, and the ensemble's agreement and components."""

from __future__ import annotations

import json
from typing import Any

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
    assert ensemble["agreement"] == "strong"
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
