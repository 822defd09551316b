"""The embedded runner announces each run date complete exactly once, in ``run_completions``:
not again on a replay (same state, or a fresh state file), nor on a redrive of its dead
letters; the recorded message is the predictions-complete message, valid against its schema."""

from __future__ import annotations

import json
from collections.abc import Hashable
from pathlib import Path
from typing import Any

import pytest

from strikeouts.pipeline.bus import FaultPlan
from strikeouts.pipeline.config import PipelineConfig
from strikeouts.pipeline.dead_letters import DeadLetterFilter
from strikeouts.pipeline.messages import validate
from strikeouts.runtime.completions import COMPLETIONS
from strikeouts.runtime.predictors import ModelPredictor
from strikeouts.runtime.runner import Runner
from strikeouts.warehouse.duckdb_backend import DuckDBWarehouse

from .conftest import DAY

pytestmark = pytest.mark.data


def completions(warehouse: DuckDBWarehouse, run_id: str) -> list[dict[Hashable, Any]]:
    frame = warehouse.query(f"SELECT * FROM {COMPLETIONS} WHERE run_id = @r", {"r": run_id})
    return frame.to_dict("records")


def test_a_run_is_announced_once_with_its_counts_and_a_replay_announces_nothing(
    warehouse: DuckDBWarehouse, predictors: list[ModelPredictor], tmp_path: Path
) -> None:
    run = Runner(warehouse, predictors, tmp_path / "state.duckdb").run(DAY, DAY, run_id="once")
    assert run.completions == 1
    [row] = completions(warehouse, "once")
    message = json.loads(str(row["message"]))
    validate("predictions-complete", message)
    rows = run.rows
    assert message["completion_id"] == f"once/{DAY.isoformat()}"
    assert message["pitcher_games"] == run.pitcher_games == rows["pitcher_id"].size // 4
    assert message["rows_by_system"] == rows["system_id"].value_counts().sort_index().to_dict()
    ensemble = rows[rows["system_id"] == "ensemble_v1"]
    systems = rows[rows["system_id"] != "ensemble_v1"]
    assert message["fallbacks"] == int((ensemble["status"] == "fallback").sum())
    assert message["errors"] == int((systems["status"] == "error").sum())
    assert message["skips"] == int((systems["status"] == "skip").sum())
    assert message["finalized_by_deadline"] == 0  # every system answered every start

    replay = Runner(warehouse, predictors, tmp_path / "state.duckdb").run(DAY, DAY, run_id="once")
    assert replay.rows_written == 0 and replay.completions == 0
    # the aggregation state lost (another machine, a deleted state dir): still nothing new
    fresh = Runner(warehouse, predictors, tmp_path / "fresh.duckdb").run(DAY, DAY, run_id="once")
    assert fresh.completions == 0
    assert len(completions(warehouse, "once")) == 1


def test_a_redrive_of_an_announced_run_announces_nothing(
    warehouse: DuckDBWarehouse, predictors: list[ModelPredictor], tmp_path: Path
) -> None:
    runner = Runner(
        warehouse,
        predictors,
        tmp_path / "state.duckdb",
        config=PipelineConfig(max_delivery_attempts=2),
        faults=FaultPlan(seed=3, fail=0.3),
    )
    run = runner.run(DAY, DAY, run_id="redriven")
    letters = runner.dead_letters.pending(DeadLetterFilter(equals={"run_id": "redriven"}))
    assert run.completions == 1 and letters  # complete at the deadline, dead letters left
    [before] = completions(warehouse, "redriven")
    assert json.loads(str(before["message"]))["finalized_by_deadline"] > 0

    runner.pipeline.bus.faults = FaultPlan()  # the fix is deployed
    settled = runner.deliver([(d.topic, d.payload, d.attributes) for d in letters])
    assert settled.completions == 0
    assert completions(warehouse, "redriven") == [before]
