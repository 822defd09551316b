"""The ensemble tick records a heartbeat per completed tick (the `tick_recent` check reads it)."""

from __future__ import annotations

import json
from typing import Any

from strikeouts.pipeline.clock import FakeClock
from strikeouts.pipeline.heartbeat import HEARTBEATS, TICK
from strikeouts.pipeline.messages import ENSEMBLE_TICKS

from .conftest import AppFactory
from .doubles import post


def test_each_completed_tick_appends_one_heartbeat_at_its_clock(
    function_client: AppFactory, warehouse: Any, clock: FakeClock
) -> None:
    client = function_client("ensemble_tick")
    tick = json.dumps({"schema_version": 1, "message_type": "ensemble-tick"}).encode()
    for i in range(2):
        assert post(client, ENSEMBLE_TICKS, tick, {}, f"t-{i}").status_code == 200
    beats = warehouse.query(f"SELECT component, beat_at FROM {HEARTBEATS} ORDER BY beat_at")
    assert beats["component"].tolist() == [TICK, TICK]
    assert beats["beat_at"].iloc[-1].to_pydatetime() == clock.now()
