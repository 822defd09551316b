"""The fast serving paths give the same answers as the plain ones they replaced.

Batching on the embedded bus (SystemHandler.prepare + ModelPredictor.predict_many) must not
change a single row, whatever the delivery faults; a bad message in a batch fails alone; the
breaker still guards each message; inplace prediction equals the DMatrix path exactly.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import xgboost as xgb
from pipeline.doubles import Recorder, StubFeatures, schedule_event

from strikeouts.models.calibration import OverCalibration
from strikeouts.models.training import anchor_margin
from strikeouts.names import GAME_SCHEDULE, PITCHER_GAMES
from strikeouts.pipeline.breaker import BreakerState
from strikeouts.pipeline.bus import FaultPlan
from strikeouts.pipeline.clock import FakeClock, SystemClock
from strikeouts.pipeline.config import PipelineConfig
from strikeouts.pipeline.embedded import build_embedded
from strikeouts.pipeline.errors import InvalidMessage
from strikeouts.pipeline.handlers import Fanout, SystemHandler
from strikeouts.pipeline.messages import encode
from strikeouts.pipeline.ports import SystemResult
from strikeouts.runtime.features import WarehouseFeatureSource
from strikeouts.runtime.predictors import FeatureMismatch, ModelPredictor
from strikeouts.runtime.schedule import schedule_event as real_schedule_event
from strikeouts.runtime.schedule import slate
from strikeouts.runtime.sinks import WarehousePredictionSink, WarehouseRejectionSink
from strikeouts.runtime.state_store import DuckDBStateStore
from strikeouts.warehouse.duckdb_backend import DuckDBWarehouse

from .conftest import DAY

POISON = b'{"schema_version": 1, "message_type": "pitcher-game", "header": {}}'


@dataclass
class PitcherStub:
    """A system whose answer depends on the pitcher (so a batch mix-up shows); optional failures."""

    system_id: str
    feature_set: str = "v1_baseline"
    failing: frozenset[int] = frozenset()
    model_version: str = "1"
    model_alias: str = "champion"
    calls: int = 0

    def predict(self, message: Mapping[str, Any]) -> SystemResult:
        self.calls += 1
        pitcher = int(message["header"]["pitcher_id"])
        if pitcher in self.failing:
            raise RuntimeError(f"{self.system_id} cannot predict {pitcher}")
        has_line = message["header"]["line"] is not None
        return SystemResult(2.0 + pitcher % 7, 0.3 + (pitcher % 5) / 10 if has_line else None)


@dataclass
class BatchingStub(PitcherStub):
    """The same system, also answering a whole batch at once."""

    batches: int = 0
    batch_sizes: tuple[int, ...] = ()

    def predict_many(self, messages: Sequence[Mapping[str, Any]]) -> list[SystemResult | Exception]:
        self.batches += 1
        self.batch_sizes += (len(messages),)
        out: list[SystemResult | Exception] = []
        for message in messages:
            try:
                out.append(PitcherStub.predict(self, message))
            except Exception as exc:
                out.append(exc)
        return out


def _systems(cls: type[PitcherStub], failing: frozenset[int]) -> list[PitcherStub]:
    return [
        cls("v1_baseline", failing=failing),
        cls("v1_6_rolling", feature_set="v1_6_rolling", failing=failing),
    ]


def _run(tmp: Path, systems: list[PitcherStub], faults: FaultPlan) -> dict[str, pd.DataFrame]:
    """Drain 4 games and a poison message through the embedded pipeline; the stored rows."""
    tmp.mkdir()
    clock = FakeClock()
    warehouse = DuckDBWarehouse(tmp / "warehouse.duckdb")
    pipe = build_embedded(
        predictors=systems,
        features=StubFeatures(),
        store=DuckDBStateStore(tmp / "state.duckdb"),
        sink=WarehousePredictionSink(warehouse),
        rejections=WarehouseRejectionSink(warehouse),
        config=PipelineConfig(expected_systems=[p.system_id for p in systems]),
        clock=clock,
        faults=faults,
    )
    pipe.bus.publish(GAME_SCHEDULE, schedule_event(clock, games=3))
    pipe.bus.publish_raw(PITCHER_GAMES, POISON)
    pipe.bus.run()
    try:
        return {
            "rows": warehouse.query(
                "SELECT * FROM pitcher_strikeout_predictions "
                "ORDER BY run_id, game_id, pitcher_id, system_id"
            ),
            "rejected": warehouse.query(
                "SELECT handler, message_id, reason FROM rejected_messages "
                "ORDER BY handler, message_id"
            ),
        }
    finally:
        warehouse.close()


@pytest.mark.parametrize("seed", [1, 2])
def test_batching_changes_no_row_under_delivery_faults(tmp_path: Path, seed: int) -> None:
    faults = FaultPlan(seed=seed, duplicate=0.3, reorder=0.4, delay=0.2, fail=0.1)
    failing = frozenset({600011})
    plain = _run(tmp_path / "plain", _systems(PitcherStub, failing), faults)
    batching = _systems(BatchingStub, failing)
    batched = _run(tmp_path / "batched", batching, faults)
    assert all(isinstance(s, BatchingStub) and s.batches > 0 for s in batching)
    assert max(s.batch_sizes[0] for s in batching if isinstance(s, BatchingStub)) > 1
    pd.testing.assert_frame_equal(batched["rows"], plain["rows"])
    pd.testing.assert_frame_equal(batched["rejected"], plain["rejected"])
    rows = batched["rows"]
    assert len(rows) == 6 * 3 and not rows.duplicated(["pitcher_id", "system_id"]).any()
    failed = rows[rows["pitcher_id"] == 600011]
    assert failed[failed["system_id"] != "ensemble_v1"]["status"].eq("error").all()
    # the poison is rejected by each of its three subscriptions, alone
    assert set(batched["rejected"]["handler"]) == {
        "system-v1_baseline",
        "system-v1_6_rolling",
        "ensemble-register",
    }


def _handler(predictor: PitcherStub, clock: FakeClock) -> tuple[SystemHandler, Recorder]:
    publisher = Recorder()
    return SystemHandler(predictor, publisher, PipelineConfig(), clock), publisher


def _payloads(clock: FakeClock, games: int) -> list[bytes]:
    messages = Fanout(StubFeatures(), Recorder(), PipelineConfig())(
        schedule_event(clock, games=games)
    )
    return [encode("pitcher-game", m) for m in messages]


def test_prepared_batch_answers_each_message_as_alone_and_skips_poison() -> None:
    clock = FakeClock()
    payloads = _payloads(clock, games=2)
    alone, alone_out = _handler(PitcherStub("v1_baseline", failing=frozenset({600001})), clock)
    batching = BatchingStub("v1_baseline", failing=frozenset({600001}))
    batched, batched_out = _handler(batching, clock)
    batched.prepare([payloads[0], POISON, *payloads[1:]])
    assert batching.batch_sizes == (4,)  # the poison is left to its own call
    for payload in payloads:
        alone(payload)
        batched(payload)
    assert batched_out.sent == alone_out.sent
    assert batching.calls == 4  # each message predicted once, in the batch
    assert [m["status"] for m in batched_out.sent] == ["ok", "error", "ok", "ok"]
    with pytest.raises(InvalidMessage):
        batched(POISON)
    batched(payloads[0])  # a redelivery after the batch is used up: predicted on its own
    assert batching.calls == 5 and batched_out.sent[-1] == batched_out.sent[0]


def test_the_breaker_still_guards_each_prepared_message() -> None:
    clock = FakeClock()
    config = PipelineConfig()
    payloads = _payloads(clock, games=3)
    everyone = frozenset(600000 + 10 * g + k for g in range(3) for k in range(2))
    batching = BatchingStub("v1_baseline", failing=everyone)
    handler, out = _handler(batching, clock)
    handler.prepare(payloads)
    for payload in payloads:
        handler(payload)
    threshold = config.breaker_failure_threshold
    reasons = [m["reason"] for m in out.sent]
    assert all("cannot predict" in r for r in reasons[:threshold])
    assert all("circuit open" in r for r in reasons[threshold:])
    assert handler.breaker.state is BreakerState.OPEN
    handler.prepare(payloads)  # an open breaker is not called in bulk
    assert batching.batches == 1


# --- on the real models and data ------------------------------------------------------------


@pytest.fixture(scope="module")
def real_messages(warehouse: DuckDBWarehouse) -> list[dict[str, Any]]:
    """The pitcher-game messages fanout builds for DAY, as decoded from the wire."""
    rows = slate(warehouse, DAY, DAY).to_dict("records")
    event = real_schedule_event(rows, DAY, "perf", SystemClock().now())
    sent = Fanout(WarehouseFeatureSource(warehouse), Recorder(), PipelineConfig())(event)
    return [json.loads(encode("pitcher-game", m)) for m in sent]


@pytest.mark.data
def test_inplace_mean_equals_the_dmatrix_path(
    predictors: list[ModelPredictor], real_messages: list[dict[str, Any]]
) -> None:
    frame = pd.DataFrame([m["features"] for m in real_messages])
    for predictor in predictors:
        system = predictor.system
        matrix = frame[system.feature_names].to_numpy(dtype=float, na_value=np.nan)
        dmatrix = xgb.DMatrix(matrix, feature_names=system.feature_names)
        if system.spec.anchor is not None:  # the booster adds to log(the market's mean)
            dmatrix.set_base_margin(anchor_margin(system.spec, system.feature_names, matrix))
        expected = np.asarray(system.booster.predict(dmatrix), dtype=float)
        np.testing.assert_array_equal(system.predict_matrix(matrix), expected)


@pytest.mark.data
def test_predict_many_equals_predict_and_a_bad_message_fails_alone(
    predictors: list[ModelPredictor], real_messages: list[dict[str, Any]]
) -> None:
    for predictor in predictors:
        messages = [dict(m) for m in real_messages]
        messages[3] = {**messages[3], "feature_set_versions": {predictor.feature_set: "other/9"}}
        results = predictor.predict_many(messages)
        assert isinstance(results[3], FeatureMismatch)
        for i, (message, result) in enumerate(zip(messages, results, strict=True)):
            if i != 3:
                assert result == predictor.predict(message)


@pytest.mark.data
def test_scalar_p_over_equals_the_array_path_with_a_calibration(
    predictors: list[ModelPredictor], real_messages: list[dict[str, Any]]
) -> None:
    frame = pd.DataFrame([m["features"] for m in real_messages])
    lines = np.array([5.5, 6.0, np.nan, 4.5, 7.0] * 6)
    for predictor in predictors:
        system = dataclasses.replace(
            predictor.system, calibration=OverCalibration((0.05, 0.95, 0.3), 400)
        )
        mean, p = system.predict(frame, lines)
        assert np.isnan(p[2::5]).all() and np.isfinite(p[::5]).all()
        for i in range(len(frame)):
            one = system.p_over_one(float(mean[i]), float(lines[i]))
            assert (math.isnan(one) and math.isnan(p[i])) or one == p[i]
