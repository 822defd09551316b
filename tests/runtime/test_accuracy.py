"""Adaptive ensemble weights from walk-forward accuracy graded in the warehouse (off by default)."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest

from strikeouts.pipeline.config import PipelineConfig
from strikeouts.pipeline.ensemble import adaptive_weights, base_weights
from strikeouts.runtime.accuracy import WarehouseTrailingAccuracy
from strikeouts.runtime.predictors import ModelPredictor
from strikeouts.runtime.runner import Runner
from strikeouts.warehouse.duckdb_backend import DuckDBWarehouse

from .conftest import DAY

pytestmark = pytest.mark.data

SYSTEMS = ["v1_6_rolling", "v1_baseline"]
EARLIER = (DAY - dt.timedelta(days=7), DAY - dt.timedelta(days=5))  # before the All-Star break


def test_trailing_accuracy_grades_only_earlier_games_and_drives_adaptive_weights(
    warehouse: DuckDBWarehouse, predictors: list[ModelPredictor], tmp_path
) -> None:
    predictors = [p for p in predictors if p.system_id in SYSTEMS]  # the weighted pair
    pair = PipelineConfig(expected_systems=SYSTEMS)
    Runner(warehouse, predictors, tmp_path / "a.duckdb", config=pair).run(*EARLIER, run_id="graded")
    accuracy = WarehouseTrailingAccuracy(warehouse)
    trailing = accuracy.trailing_mae(SYSTEMS, DAY, 60)

    graded = warehouse.query(
        "SELECT p.system_id, p.predicted_strikeouts AS pred, s.strikeouts AS k, p.game_date "
        "FROM pitcher_strikeout_predictions_latest p JOIN pitcher_starts s "
        "USING (game_id, pitcher_id) WHERE p.status = 'ok' AND p.game_date < @d",
        {"d": DAY},
    )
    assert (graded["game_date"] < np.datetime64(DAY)).all()
    for system in SYSTEMS:
        rows = graded[graded["system_id"] == system]
        mae, n = trailing[system]
        assert n == len(rows) > 20
        assert mae == pytest.approx(float(np.mean(np.abs(rows["pred"] - rows["k"]))))
    # a game on as_of itself is never graded: nothing before the first replayed date
    assert accuracy.trailing_mae(SYSTEMS, EARLIER[0], 60) == {}

    # no pick: the weights are what is under test
    config = PipelineConfig(
        expected_systems=SYSTEMS, adaptive_weights=True, adaptive_min_samples=10, pick_system=None
    )
    summary = Runner(warehouse, predictors, tmp_path / "b.duckdb", config=config).run(
        DAY, DAY, run_id="adaptive"
    )
    ensemble = summary.rows[
        (summary.rows["system_id"] == "ensemble_v1") & (summary.rows["status"] == "ok")
    ]
    expected = adaptive_weights(
        base_weights(SYSTEMS, config), trailing, config.adaptive_blend, config.adaptive_min_samples
    )
    total = sum(expected.values())
    for weights in ensemble["weights_json"]:
        got = json.loads(weights)
        assert got == pytest.approx({s: w / total for s, w in expected.items()})
        assert got != pytest.approx({"v1_baseline": 0.375, "v1_6_rolling": 0.625})
