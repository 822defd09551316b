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
    on_bus = sorted(runner.pipeline.bus.dead_letters, key=lambda d: (d.subscription, d.message_id))
    assert summary.dead_letters > 0 and len(letters) == summary.dead_letters == len(on_bus)
    for row, letter in zip(letters.to_dict("records"), on_bus, strict=True):
        assert (row["subscription_name"], row["message_id"]) == (
            letter.subscription,
            letter.message_id,
        )
        attributes = json.loads(row["attributes"])
        assert attributes["dead_letter_reason"] == letter.reason
        assert attributes["delivery_attempts"] == "2" and attributes["source_topic"] == letter.topic
    warehouse.close()
