"""The pipeline on real data: a real date end to end, replays, the opening line, the adapter."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from strikeouts.models.systems import SYSTEMS as REGISTERED
from strikeouts.pipeline.clock import SystemClock
from strikeouts.pipeline.config import PipelineConfig
from strikeouts.pipeline.ensemble import base_weights, member_weights
from strikeouts.pipeline.handlers import Fanout
from strikeouts.pipeline.recording import RecordingPublisher
from strikeouts.runtime.features import WarehouseFeatureSource
from strikeouts.runtime.predictors import ModelPredictor
from strikeouts.runtime.runner import Runner, RunSummary
from strikeouts.runtime.schedule import schedule_event, slate
from strikeouts.warehouse.duckdb_backend import DuckDBWarehouse

from .conftest import DAY

pytestmark = pytest.mark.data

SYSTEMS = set(REGISTERED)
ENSEMBLE = "ensemble_v1"


Recorder = RecordingPublisher


@pytest.fixture(scope="module")
def day_run(
    warehouse: DuckDBWarehouse,
    predictors: list[ModelPredictor],
    tmp_path_factory: pytest.TempPathFactory,
) -> RunSummary:
    state = tmp_path_factory.mktemp("state") / "state.duckdb"
    return Runner(warehouse, predictors, state).run(DAY, DAY, run_id="e2e")


@pytest.fixture(scope="module")
def day_messages(warehouse: DuckDBWarehouse) -> list[dict[str, object]]:
    """The pitcher-game messages fanout builds for DAY from the warehouse."""
    rows = slate(warehouse, DAY, DAY).to_dict("records")
    event = schedule_event(rows, DAY, "adapter", SystemClock().now())
    recorder = Recorder()
    Fanout(WarehouseFeatureSource(warehouse), recorder, PipelineConfig())(event)
    return recorder.sent


def test_a_real_date_gives_a_row_per_system_and_the_ensemble_per_start(
    day_run: RunSummary, warehouse: DuckDBWarehouse
) -> None:
    starts = warehouse.query(
        "SELECT game_id, pitcher_id FROM pitcher_starts WHERE game_date = @d", {"d": DAY}
    )
    rows = day_run.rows
    assert day_run.pitcher_games == len(starts) == 30
    assert day_run.rows_written == (len(SYSTEMS) + 1) * len(starts) == len(rows)
    per_start = rows.groupby(["game_id", "pitcher_id"])["system_id"].apply(frozenset)
    assert set(per_start) == {frozenset({*SYSTEMS, ENSEMBLE})}
    assert set(map(tuple, per_start.index)) == set(map(tuple, starts.to_numpy().tolist()))
    assert set(rows["status"]) <= {"ok", "skip", "error"}
    assert (rows["status"] == "ok").sum() > 60
    assert day_run.dead_letters == 0 and day_run.rejected == 0


def test_predictions_are_counts_and_probabilities(day_run: RunSummary) -> None:
    rows = day_run.rows[day_run.rows["predicted_strikeouts"].notna()]
    assert rows["predicted_strikeouts"].between(0, 15).all()
    lined, unlined = rows[rows["line"].notna()], rows[rows["line"].isna()]
    assert len(lined) > 0 and len(unlined) > 0  # DAY has one start without a line
    assert lined["p_over"].between(0, 1).all()
    assert unlined["p_over"].isna().all()
    assert set(unlined["recommendation"]) == {"NO_LINE"}


def test_every_row_carries_the_median_of_its_distribution(day_run: RunSummary) -> None:
    rows = day_run.rows[day_run.rows["predicted_strikeouts"].notna()]
    assert rows["predicted_median"].notna().all()
    assert (rows["predicted_median"] % 1 == 0).all()  # a count, the MAE-optimal one
    assert ((rows["predicted_median"] - rows["predicted_strikeouts"]).abs() < 1.5).all()
    market = rows[(rows["system_id"] == "v2_market") & (rows["status"] == "ok")]
    assert len(market) > 25
    assert market.loc[market["line"].notna(), "status_reason"].isna().all()


def test_without_a_line_v2_market_says_it_predicted_from_its_features(
    predictors: list[ModelPredictor], day_messages: list[dict[str, Any]]
) -> None:
    market = next(p for p in predictors if p.system_id == "v2_market")
    lined = next(m for m in day_messages if m["header"]["line"] is not None)
    with_line = market.predict(lined)
    assert with_line.reason is None and with_line.p_over is not None
    unlined = copy.deepcopy(lined)
    unlined["header"]["line"] = None
    for name in ("line", "implied_over_prob", "market_mean"):
        unlined["features"][name] = None
    alone = market.predict(unlined)
    assert alone.p_over is None and alone.reason is not None
    assert "features alone" in alone.reason
    assert alone.predicted_strikeouts is not None and 0.5 < alone.predicted_strikeouts < 15


def test_ensemble_is_the_renormalized_weighted_average(day_run: RunSummary) -> None:
    config = PipelineConfig()
    rows = day_run.rows.set_index(["game_id", "pitcher_id", "system_id"])
    ensembles = day_run.rows[
        (day_run.rows["system_id"] == ENSEMBLE) & (day_run.rows["status"] == "ok")
    ]
    assert len(ensembles) > 20
    for e in ensembles.to_dict("records"):
        members = list(e["contributing_systems"])
        assert members, e
        weights = member_weights(base_weights(members, config), members, config)
        assert json.loads(e["weights_json"]) == pytest.approx(weights)
        expected = sum(
            weights[s] * rows.loc[(e["game_id"], e["pitcher_id"], s), "predicted_strikeouts"]
            for s in members
        )
        assert e["predicted_strikeouts"] == pytest.approx(expected, rel=1e-12)


def test_the_event_carries_the_opening_line_not_the_close(
    warehouse: DuckDBWarehouse, day_run: RunSummary
) -> None:
    moved = warehouse.query(
        "SELECT game_id, pitcher_id, open_line, close_line FROM prop_lines "
        "WHERE game_date = @d AND game_id IS NOT NULL AND open_line <> close_line",
        {"d": DAY},
    )
    assert len(moved) >= 1
    event = schedule_event(
        slate(warehouse, DAY, DAY).to_dict("records"), DAY, "x", SystemClock().now()
    )
    lines = {
        (g["game_id"], s["pitcher_id"]): s.get("line", {}).get("line")
        for g in event["games"]
        for s in g["starters"]
    }
    stored = day_run.rows.set_index(["game_id", "pitcher_id", "system_id"])["line"]
    for m in moved.to_dict("records"):
        key = (m["game_id"], int(m["pitcher_id"]))
        assert lines[key] == m["open_line"] != m["close_line"]
        assert stored[(*key, ENSEMBLE)] == m["open_line"]


def test_the_adapter_reproduces_the_trained_system(
    predictors: list[ModelPredictor], day_messages: list[dict[str, object]]
) -> None:
    assert len(day_messages) == 30
    features = pd.DataFrame([m["features"] for m in day_messages])  # None -> NaN, as in training
    line = [
        np.nan if m["header"]["line"] is None else m["header"]["line"]["line"] for m in day_messages
    ]  # type: ignore[index]
    for predictor in predictors:
        mean, p_over = predictor.system.predict(features, line)
        for i, message in enumerate(day_messages):
            result = predictor.predict(message)
            assert result.predicted_strikeouts == pytest.approx(float(mean[i]), rel=1e-6)
            if np.isnan(p_over[i]):
                assert result.p_over is None
            else:
                assert result.p_over == pytest.approx(float(p_over[i]), rel=1e-6), (
                    i,
                    mean[i],
                    line[i],
                    predictor.system.alpha,
                    result,
                )
            republished = json.loads(json.dumps(message))
            assert predictor.predict(republished) == result


def test_the_adapter_refuses_another_feature_set_version(
    predictors: list[ModelPredictor], day_messages: list[dict[str, object]]
) -> None:
    message = json.loads(json.dumps(day_messages[0]))
    predictor = predictors[0]
    message["feature_set_versions"][predictor.feature_set] = "other/9"
    with pytest.raises(ValueError, match="other/9"):
        predictor.predict(message)


def test_replaying_a_run_id_writes_nothing_new_and_a_new_run_becomes_latest(
    warehouse: DuckDBWarehouse, predictors: list[ModelPredictor], tmp_path: Path
) -> None:
    first, last = DAY + dt.timedelta(days=1), DAY + dt.timedelta(days=3)
    state = tmp_path / "state.duckdb"
    once = Runner(warehouse, predictors, state).run(first, last, run_id="replay-a")
    again = Runner(warehouse, predictors, state).run(first, last, run_id="replay-a")
    assert once.dates == 3 and once.pitcher_games == 90
    assert once.rows_written == 90 * (len(SYSTEMS) + 1)
    assert again.rows_written == 0
    assert again.statuses == once.statuses
    newer = Runner(warehouse, predictors, state).run(first, last, run_id="replay-b")
    assert newer.rows_written == 90 * (len(SYSTEMS) + 1)
    latest = warehouse.query(
        "SELECT run_id, COUNT(*) AS n FROM pitcher_strikeout_predictions_latest "
        "WHERE game_date BETWEEN @a AND @b GROUP BY run_id",
        {"a": first, "b": last},
    )
    assert latest.to_dict("records") == [{"run_id": "replay-b", "n": 90 * (len(SYSTEMS) + 1)}]
