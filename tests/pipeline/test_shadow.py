"""Shadow challengers on the in-process bus: rows apart from the predictions, the ensemble
untouched, a failing challenger never reaching the champion, replays writing nothing new."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from strikeouts.names import GAME_SCHEDULE, SHADOW_PREDICTIONS
from strikeouts.pipeline.clock import FakeClock
from strikeouts.pipeline.config import PipelineConfig
from strikeouts.pipeline.embedded import EmbeddedPipeline, build_embedded
from strikeouts.pipeline.handlers import EnsembleHandler
from strikeouts.pipeline.messages import PitcherGameKey
from strikeouts.pipeline.ports import Predictor
from strikeouts.pipeline.recording import RecordingPublisher
from strikeouts.runtime.sinks import WarehousePredictionSink, WarehouseRejectionSink
from strikeouts.runtime.state_store import DuckDBStateStore
from strikeouts.warehouse.duckdb_backend import DuckDBWarehouse

from .doubles import StubFeatures, StubPredictor, schedule_event, two_system_config, two_systems

ORDER = "ORDER BY run_id, game_id, pitcher_id, system_id"


class AttributeRecorder(RecordingPublisher):
    """A RecordingPublisher that keeps each message's attributes too."""

    def __init__(self) -> None:
        super().__init__()
        self.attributes: list[dict[str, str]] = []

    def publish(
        self, topic: str, message: Mapping[str, Any], attributes: Mapping[str, str] | None = None
    ) -> str:
        self.attributes.append(dict(attributes or {}))
        return super().publish(topic, message, attributes)


def _pipeline(
    folder: Path, clock: FakeClock, challengers: Mapping[str, Predictor] | None = None
) -> tuple[EmbeddedPipeline, DuckDBWarehouse]:
    folder.mkdir(parents=True, exist_ok=True)
    warehouse = DuckDBWarehouse(folder / "warehouse.duckdb")
    pipe = build_embedded(
        predictors=two_systems(6.0, 7.0),
        features=StubFeatures(),
        store=DuckDBStateStore(folder / "state.duckdb"),
        sink=WarehousePredictionSink(warehouse),
        rejections=WarehouseRejectionSink(warehouse),
        config=two_system_config(),
        clock=clock,
        challengers=challengers,
        shadow=WarehousePredictionSink(warehouse, SHADOW_PREDICTIONS),
    )
    return pipe, warehouse


def _run(pipe: EmbeddedPipeline, clock: FakeClock, run_id: str = "run-1") -> None:
    pipe.bus.publish(GAME_SCHEDULE, schedule_event(clock, run_id))
    pipe.bus.run()


def _table(warehouse: DuckDBWarehouse, table: str) -> pd.DataFrame:
    return warehouse.query(f"SELECT * FROM {table} {ORDER}")


def _challenger(**kw: object) -> StubPredictor:
    fields: dict[str, object] = {"p_over": 0.7, "model_version": "2", "model_alias": "challenger"}
    return StubPredictor("v1_baseline", 9.0, **{**fields, **kw})  # type: ignore[arg-type]


def test_challenger_rows_go_to_the_shadow_table_and_the_predictions_are_unchanged(
    tmp_path: Path,
) -> None:
    plain, plain_wh = _pipeline(tmp_path / "plain", FakeClock())
    _run(plain, FakeClock())
    shadowed, shadow_wh = _pipeline(
        tmp_path / "shadow", FakeClock(), {"v1_baseline": _challenger()}
    )
    _run(shadowed, FakeClock())

    want = _table(plain_wh, "pitcher_strikeout_predictions")
    got = _table(shadow_wh, "pitcher_strikeout_predictions")
    assert len(got) == 6 and "challenger" not in set(got["model_alias"].dropna())
    pd.testing.assert_frame_equal(got.drop(columns="created_at"), want.drop(columns="created_at"))

    shadows = _table(shadow_wh, SHADOW_PREDICTIONS)
    assert len(shadows) == 2  # one per pitcher-game, for the one system with a challenger
    assert set(shadows["system_id"]) == {"v1_baseline"}
    assert set(shadows["model_alias"]) == {"challenger"}
    assert set(shadows["model_version"]) == {"2"}
    assert shadows["predicted_strikeouts"].tolist() == pytest.approx([9.0, 9.0])
    assert set(shadows["status"]) == {"ok"}
    assert set(_table(plain_wh, SHADOW_PREDICTIONS)["system_id"]) == set()


def test_a_replay_writes_no_new_shadow_row(tmp_path: Path) -> None:
    clock = FakeClock()
    pipe, warehouse = _pipeline(tmp_path, clock, {"v1_baseline": _challenger()})
    _run(pipe, clock)
    first = _table(warehouse, SHADOW_PREDICTIONS)
    _run(pipe, clock)  # same run id: a replay
    pd.testing.assert_frame_equal(_table(warehouse, SHADOW_PREDICTIONS), first)


def test_a_failing_challenger_never_touches_the_champion(tmp_path: Path) -> None:
    clock = FakeClock()
    challenger = _challenger(fail=True)
    pipe, warehouse = _pipeline(tmp_path, clock, {"v1_baseline": challenger})
    _run(pipe, clock)
    rows = _table(warehouse, "pitcher_strikeout_predictions")
    assert set(rows["status"]) == {"ok"} and len(rows) == 6
    assert pipe.systems["v1_baseline"].breaker.consecutive_failures == 0
    shadows = _table(warehouse, SHADOW_PREDICTIONS)
    assert set(shadows["status"]) == {"error"} and len(shadows) == 2
    assert shadows["status_reason"].str.contains("model exploded").all()
    assert challenger.calls == 2


def test_a_challenger_on_the_champions_version_is_not_shadowed(tmp_path: Path) -> None:
    clock = FakeClock()
    same = _challenger(model_version="1")  # the champion stub's version
    pipe, warehouse = _pipeline(tmp_path, clock, {"v1_baseline": same})
    _run(pipe, clock)
    assert _table(warehouse, SHADOW_PREDICTIONS).empty
    assert same.calls == 0


def test_the_ensemble_keeps_no_state_for_a_challenger_result(
    tmp_path: Path, pitcher_game: dict[str, object], config: PipelineConfig, clock: FakeClock
) -> None:
    from strikeouts.pipeline.handlers import SystemHandler

    recorder = AttributeRecorder()
    handler = SystemHandler(
        StubPredictor("v1_baseline", 6.0, p_over=0.5),
        recorder,
        config,
        clock,
        challenger=lambda: _challenger(),
    )
    handler(pitcher_game)
    champion, challenger = recorder.sent
    assert challenger["model_alias"] == "challenger" and champion["model_alias"] == "champion"
    assert [a.get("model_alias") for a in recorder.attributes] == [None, "challenger"]
    store = DuckDBStateStore(tmp_path / "state.duckdb")
    warehouse = DuckDBWarehouse(tmp_path / "warehouse.duckdb")
    ensemble = EnsembleHandler(
        store,
        WarehousePredictionSink(warehouse),
        config,
        clock,
        shadow=WarehousePredictionSink(warehouse, SHADOW_PREDICTIONS),
    )
    ensemble.on_result(challenger)
    assert store.load(PitcherGameKey.of(challenger["header"])) is None
    assert len(_table(warehouse, SHADOW_PREDICTIONS)) == 1
    assert _table(warehouse, "pitcher_strikeout_predictions").empty
