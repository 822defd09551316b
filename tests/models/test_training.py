"""Training on real starts: no look-ahead, counts and probabilities each used as what they are."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from strikeouts.adapters import open_model_store
from strikeouts.countlaw import fit_dispersion, p_over
from strikeouts.features.history import History
from strikeouts.models import service
from strikeouts.models.store import ModelStoreError
from strikeouts.models.systems import UnknownSystemError, get_system
from strikeouts.models.training import TrainingError
from strikeouts.settings import Settings
from strikeouts.warehouse.base import Warehouse

TRAIN_END = dt.date(2024, 6, 1)


@pytest.fixture(autouse=True)
def _every_fit_trains(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests are about fitting: none is answered by the session's fit cache."""
    monkeypatch.delenv("STRIKEOUTS_FIT_CACHE", raising=False)


@pytest.fixture(scope="module")
def frame(ingested: Warehouse) -> pd.DataFrame:
    return service.training_frame(ingested, TRAIN_END)


def test_training_frame_holds_only_starts_before_train_end(frame: pd.DataFrame) -> None:
    assert pd.to_datetime(frame["game_date"]).max() < pd.Timestamp(TRAIN_END)
    assert frame["strikeouts"].notna().all()
    # every start of 2021..2023 plus 2024 to the end of May
    assert len(frame) > 3 * 4858


def test_model_is_identical_whether_or_not_later_games_exist(
    ingested: Warehouse, frame: pd.DataFrame
) -> None:
    """Train on the full history and on one cut at train_end: same booster bytes."""
    history = History.load(ingested).cut(TRAIN_END)
    first = pd.Timestamp(history.starts["game_date"].min()).date()
    cut_frame = service.labelled_features(history, first, TRAIN_END - dt.timedelta(days=1))
    full = service.train(frame, "v1_baseline", TRAIN_END)
    cut = service.train(cut_frame, "v1_baseline", TRAIN_END)
    assert full.artifact() == cut.artifact()
    assert full.alpha == cut.alpha


def test_prediction_is_a_count_and_p_over_a_probability(frame: pd.DataFrame) -> None:
    model = service.train(frame, "v1_6_rolling", TRAIN_END)
    sample = frame.tail(300)
    mean, prob = model.predict(sample, np.full(len(sample), 5.5))
    assert np.all((mean > 0.5) & (mean < 15)), "expected strikeouts are counts of a start"
    assert 3.5 < mean.mean() < 6.5
    assert np.all((prob >= 0) & (prob <= 1))
    # a higher line is never more likely to go over
    _, higher = model.predict(sample, np.full(len(sample), 7.5))
    assert np.all(higher <= prob + 1e-12)
    corr = np.corrcoef(mean, sample["strikeouts"])[0, 1]
    assert corr > 0.3, f"predictions barely track real strikeouts (r={corr:.2f})"
    meta = model.metadata
    assert meta.train_end == TRAIN_END and meta.n_train_rows == len(frame)
    assert meta.distribution["dispersion"] == model.alpha >= 0
    assert meta.validation_metrics["mae"] < 2.2


def test_store_round_trip_predicts_the_same(frame: pd.DataFrame, tmp_path) -> None:
    store = open_model_store(Settings(model_store=str(tmp_path / "models")))
    model = service.train(frame, "v1_baseline", TRAIN_END)
    ref = service.register(store, model, "champion")
    loaded = service.load_system(store, "v1_baseline", "champion")
    sample = frame.tail(50)
    assert ref.version == loaded.metadata.version
    np.testing.assert_array_equal(model.predict_mean(sample), loaded.predict_mean(sample))
    np.testing.assert_allclose(
        model.predict(sample, [4.5] * 50)[1], loaded.predict(sample, [4.5] * 50)[1]
    )


def test_ensure_champions_trains_only_what_is_missing(ingested: Warehouse, tmp_path) -> None:
    store = open_model_store(Settings(model_store=str(tmp_path / "models")))
    first = service.ensure_champions(ingested, store, TRAIN_END, systems=["v1_baseline"])
    again = service.ensure_champions(ingested, store, TRAIN_END, systems=["v1_baseline"])
    assert first == again
    assert store.list_versions("v1_baseline") == [first["v1_baseline"].version]


def frame_for_errors(warehouse: Warehouse) -> pd.DataFrame:
    return service.training_frame(warehouse, dt.date(2021, 7, 1))


def test_bad_inputs_name_what_is_wrong(ingested: Warehouse, tmp_path) -> None:
    with pytest.raises(UnknownSystemError, match=r"unknown system 'v9'.*v1_baseline"):
        get_system("v9")
    with pytest.raises(TrainingError, match="no starts before 2019-01-01"):
        service.training_frame(ingested, dt.date(2019, 1, 1))
    store = open_model_store(Settings(model_store=str(tmp_path / "empty")))
    with pytest.raises(ModelStoreError, match="unknown system 'v1_baseline' in model store"):
        service.load_system(store, "v1_baseline", "champion")
    service.register(
        store, service.train(frame_for_errors(ingested), "v1_baseline", TRAIN_END), None
    )
    with pytest.raises(ModelStoreError, match="no alias 'champion' for system 'v1_baseline'"):
        service.load_system(store, "v1_baseline", "champion")


def test_dispersion_is_zero_for_poisson_like_residuals() -> None:
    rng = np.random.default_rng(3)
    mu = rng.uniform(3, 7, 20_000)
    assert fit_dispersion(rng.poisson(mu), mu) < 0.01
    over = rng.negative_binomial(1 / 0.2, 1 / (1 + 0.2 * mu))
    assert 0.15 < fit_dispersion(over, mu) < 0.25
    # a whole-number line refunds the push: P(over | not push)
    assert p_over(np.array([5.0]), np.array([5.0]), 0.0)[0] == pytest.approx(
        (1 - 0.615960655) / (1 - 0.175467369), abs=1e-6
    )
