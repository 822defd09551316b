"""The embedded runner records its dead letters in ``dead_letters``, shaped as the cloud's
dead-letter subscription writes them, so the monitoring checks see both paths alike."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from strikeouts.pipeline.bus import FaultPlan
from strikeouts.pipeline.config import PipelineConfig
from strikeouts.runtime.predictors import ModelPredictor
from strikeouts.runtime.runner import Runner
from strikeouts.warehouse.duckdb_backend import DuckDBWarehouse

from .conftest import DAY, SOURCE_TABLES

pytestmark = pytest.mark.data


def test_dead_lettered_deliveries_land_in_the_dead_letters_table(
    ingested: DuckDBWarehouse, predictors: list[ModelPredictor], tmp_path: Path
) -> None:
    warehouse = DuckDBWarehouse(tmp_path / "warehouse.duckdb")
    for table in SOURCE_TABLES:
        warehouse.replace_table(table, ingested.query(f"SELECT * FROM {table}"))
    runner = Runner(
        warehouse,
        predictors,
        tmp_path / "state.duckdb",
        config=PipelineConfig(max_delivery_attempts=2),
        faults=FaultPlan(seed=3, fail=0.5),
    )
    summary = runner.run(DAY, DAY, run_id="faulty")
    letters = warehouse.query("SELECT * FROM dead_letters ORDER BY subscription_name, message_id")
    assert summary.dead_letters > 0 and len(letters) == summary.dead_letters
    subscriptions = set(runner.pipeline.bus.subscriptions)
    for row in letters.to_dict("records"):
        assert row["subscription_name"] in subscriptions
        assert str(row["message_id"]).startswith(runner.dead_letters.prefix)
        attributes = json.loads(row["attributes"])
        assert "InjectedFailure" in attributes["dead_letter_reason"]
        assert attributes["delivery_attempts"] == "2"
        assert attributes["source_topic"] in (
            "game-schedule",
            "pitcher-games",
            "system-predictions",
        )
    # the bus numbers messages from 1 again: a second run's dead letters must not collide
    again = runner.run(DAY, DAY, run_id="faulty-again")
    total = warehouse.query("SELECT COUNT(DISTINCT message_id) AS n FROM dead_letters")
    assert int(total["n"].iloc[0]) == summary.dead_letters + again.dead_letters
    warehouse.close()
