"""Promotion and shadowing on a real date through the embedded runner, and a served alias
following a promotion within its TTL (real models, real data)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pandas as pd
import pytest

from strikeouts.adapters import open_model_store
from strikeouts.models.promotion import promote, rollback
from strikeouts.models.service import register, train, training_frame
from strikeouts.models.store import ObjectModelStore
from strikeouts.models.systems import SYSTEMS
from strikeouts.names import SHADOW_PREDICTIONS
from strikeouts.pipeline.clock import FakeClock, SystemClock
from strikeouts.pipeline.config import PipelineConfig
from strikeouts.pipeline.handlers import Fanout
from strikeouts.pipeline.recording import RecordingPublisher
from strikeouts.runtime.features import WarehouseFeatureSource
from strikeouts.runtime.predictors import ModelPredictor
from strikeouts.runtime.runner import Runner, RunSummary, load_predictors
from strikeouts.runtime.schedule import schedule_event, slate
from strikeouts.runtime.served import AliasPredictor, load_challengers
from strikeouts.settings import Settings
from strikeouts.warehouse.duckdb_backend import DuckDBWarehouse

from .conftest import DAY

pytestmark = pytest.mark.data

SYSTEM = "v1_baseline"
CREATED = dt.datetime(2025, 7, 18, 9, 0, tzinfo=dt.UTC)
CHALLENGER_END = DAY - dt.timedelta(days=60)  # an older model: visibly different predictions


@pytest.fixture(scope="module")
def challenger_models(
    model_dir: Path, ingested: DuckDBWarehouse, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The session's champions plus a v1_baseline trained on starts before CHALLENGER_END."""
    path = tmp_path_factory.mktemp("promotion-models")
    shutil.copytree(model_dir, path, dirs_exist_ok=True)
    store = open_model_store(Settings(model_store=str(path)))
    frame = training_frame(ingested, CHALLENGER_END)
    register(store, train(frame, SYSTEM, CHALLENGER_END), None)
    return path


@pytest.fixture
def store(challenger_models: Path, tmp_path: Path) -> ObjectModelStore:
    """A private copy of the store (each test moves aliases its own way)."""
    shutil.copytree(challenger_models, tmp_path / "models")
    return open_model_store(Settings(model_store=str(tmp_path / "models")))


def _run(
    store: ObjectModelStore, warehouse_path: Path, folder: Path, run_id: str, shadow: bool = True
) -> tuple[RunSummary, pd.DataFrame]:
    """A run of DAY in its own warehouse copy: its summary and its shadow rows."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(warehouse_path, folder / "warehouse.duckdb")
    warehouse = DuckDBWarehouse(folder / "warehouse.duckdb")
    try:
        store.refresh()
        runner = Runner(
            warehouse,
            load_predictors(store),
            folder / "state.duckdb",
            clock=FakeClock(CREATED),
            challengers=load_challengers(store) if shadow else None,
        )
        summary = runner.run(DAY, DAY, run_id=run_id)
        shadows = warehouse.query(
            f"SELECT * FROM {SHADOW_PREDICTIONS} WHERE run_id = @r ORDER BY game_id, pitcher_id",
            {"r": run_id},
        )
    finally:
        warehouse.close()
    return summary, shadows


def _versions(summary: RunSummary) -> set[str]:
    rows = summary.rows
    return set(rows.loc[rows["system_id"] == SYSTEM, "model_version"])


def test_promote_a_challenger_shadow_then_promote_and_roll_back(
    store: ObjectModelStore, warehouse_path: Path, tmp_path: Path
) -> None:
    champion, challenger = store.aliases(SYSTEM)["champion"], "v0002"
    promote(store, SYSTEM, challenger, alias="challenger")

    plain, none = _run(store, warehouse_path, tmp_path / "plain", "shadow-day", shadow=False)
    shadowed, shadows = _run(store, warehouse_path, tmp_path / "shadowed", "shadow-day")
    assert none.empty
    # the ensemble (and every prediction row) is exactly the run's without a challenger
    pd.testing.assert_frame_equal(shadowed.rows, plain.rows)
    rows = 30 * (len(SYSTEMS) + 1)  # each system's row and the ensemble's, for 30 starts
    assert len(shadowed.rows) == rows and "challenger" not in set(shadowed.rows["model_alias"])
    assert len(shadows) == 30
    assert set(shadows["system_id"]) == {SYSTEM}
    assert set(shadows["model_alias"]) == {"challenger"}
    assert set(shadows["model_version"]) == {challenger}
    champ = shadowed.rows[shadowed.rows["system_id"] == SYSTEM].set_index(["game_id", "pitcher_id"])
    shadow = shadows.set_index(["game_id", "pitcher_id"]).loc[champ.index]
    differ = (champ["predicted_strikeouts"] - shadow["predicted_strikeouts"]).abs() > 1e-6
    assert differ.sum() > 20  # an older model: its own predictions, not the champion's

    promote(store, SYSTEM, "challenger")  # the challenger becomes champion
    promoted, none = _run(store, warehouse_path, tmp_path / "promoted", "after-promote")
    assert _versions(promoted) == {challenger}
    assert none.empty  # challenger == champion: nothing to shadow
    assert (
        promoted.rows.loc[promoted.rows["system_id"] == SYSTEM, "predicted_strikeouts"].tolist()
        == shadows["predicted_strikeouts"].tolist()
    )

    assert rollback(store, SYSTEM).version == champion
    rolled, shadows_again = _run(store, warehouse_path, tmp_path / "rolled", "after-rollback")
    assert _versions(rolled) == {champion}
    assert len(shadows_again) == 30  # the challenger alias still names v0002: shadowing again


def test_a_served_alias_follows_a_promotion_after_its_ttl(
    store: ObjectModelStore, warehouse_path: Path
) -> None:
    warehouse = DuckDBWarehouse(warehouse_path)
    try:
        event = schedule_event(
            slate(warehouse, DAY, DAY).to_dict("records"), DAY, "ttl", SystemClock().now()
        )
        recorder = RecordingPublisher()
        Fanout(WarehouseFeatureSource(warehouse), recorder, PipelineConfig())(event)
    finally:
        warehouse.close()
    message = recorder.sent[0]
    now = [0.0]
    serving = open_model_store(Settings(model_store=store.location), alias_ttl_seconds=30.0)
    serving._clock = lambda: now[0]  # a controllable clock instead of sleeping
    predictor = AliasPredictor(serving, SYSTEM)
    before = predictor.predict(message)
    assert before.model_version == predictor.model_version == "v0001"

    store.set_alias(SYSTEM, "champion", "v0002")  # another process promotes
    now[0] = 29.0
    assert predictor.predict(message).model_version == "v0001"  # still inside the TTL
    now[0] = 31.0
    after = predictor.predict(message)
    assert after.model_version == predictor.model_version == "v0002"
    expected = ModelPredictor.from_store(store, SYSTEM, "v0002").predict(message)
    assert after.predicted_strikeouts == expected.predicted_strikeouts
    assert after.predicted_strikeouts != before.predicted_strikeouts


def test_an_unloadable_promoted_version_leaves_the_last_one_serving(
    store: ObjectModelStore, warehouse_path: Path
) -> None:
    artifact = Path(store.location) / SYSTEM / "versions" / "v0002" / "model.ubj"
    artifact.write_bytes(b"not a model")  # corrupt: its sha256 no longer matches
    serving = open_model_store(Settings(model_store=store.location), alias_ttl_seconds=0.0)
    predictor = AliasPredictor(serving, SYSTEM)
    store.set_alias(SYSTEM, "champion", "v0002")
    assert predictor.now().model_version == "v0001"  # the error is logged, serving goes on
    assert predictor.follower._failed.keys() == {"v0002"}
    store.set_alias(SYSTEM, "champion", "v0001")
    assert predictor.now().model_version == "v0001"
