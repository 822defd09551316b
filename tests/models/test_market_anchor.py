"""v2_market on real starts: the market's count law, corrected only where lines exist; and one
distribution per prediction (mean, median and P(over) at every line read from the same law)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from strikeouts.countlaw import median_one, p_over_one
from strikeouts.features.history import History
from strikeouts.models import service
from strikeouts.models.calibration import OverCalibration
from strikeouts.models.training import MIN_ANCHORED_ROWS
from strikeouts.warehouse.base import Warehouse

TRAIN_END = dt.date(2025, 8, 1)
TEST_END = dt.date(2025, 8, 10)


@pytest.fixture(scope="module")
def frame(ingested: Warehouse) -> pd.DataFrame:
    """Every start up to TEST_END with its point-in-time features (opening line included)."""
    history = History.load(ingested, before=TEST_END + dt.timedelta(days=1))
    first = pd.Timestamp(history.starts["game_date"].min()).date()
    return service.labelled_features(history, first, TEST_END)


def _after(frame: pd.DataFrame, day: dt.date) -> pd.DataFrame:
    return frame[pd.to_datetime(frame["game_date"]).dt.date >= day]


def test_market_mean_is_the_poisson_mean_priced_by_the_opening_line(frame: pd.DataFrame) -> None:
    lined = frame[frame["market_mean"].notna()]
    assert len(lined) > 500 and lined["line"].notna().all()
    for row in lined.head(50).itertuples():
        p = p_over_one(row.market_mean, row.line, 0.0)
        assert p == pytest.approx(row.implied_over_prob, abs=1e-6)
    assert frame.loc[frame["line"].isna(), "market_mean"].isna().all()


def test_before_enough_lined_starts_v2_market_is_the_market(frame: pd.DataFrame) -> None:
    model = service.train(frame, "v2_market", dt.date(2025, 6, 8))
    assert model.metadata.n_train_rows < MIN_ANCHORED_ROWS
    assert model.booster.num_boosted_rounds() == 0 and model.alpha == 0.0
    test = _after(frame, dt.date(2025, 6, 8))
    test = test[test["market_mean"].notna()].head(100)
    mean, p = model.predict(test, test["line"].to_numpy())
    np.testing.assert_allclose(mean, test["market_mean"], rtol=1e-5)
    np.testing.assert_allclose(p, test["implied_over_prob"], atol=1e-5)


def test_v2_market_learns_a_correction_on_lined_starts_only(frame: pd.DataFrame) -> None:
    model = service.train(frame, "v2_market", TRAIN_END)
    before = frame[pd.to_datetime(frame["game_date"]).dt.date < TRAIN_END]
    assert model.metadata.n_train_rows == int(before["market_mean"].notna().sum())
    assert model.booster.num_boosted_rounds() >= 2
    test = _after(frame, TRAIN_END)
    lined = test[test["market_mean"].notna()]
    mean = model.predict_mean(lined)
    ratio = mean / lined["market_mean"].to_numpy()
    assert np.all((ratio > 0.7) & (ratio < 1.3)), "a correction, not a new model"
    assert np.corrcoef(mean, lined["market_mean"])[0, 1] > 0.9
    # one law: P(over) at any line and the median are those of Poisson(mean)
    for m, line in zip(mean[:20], lined["line"].to_numpy()[:20], strict=True):
        assert model.p_over_one(m, line + 1.0) == p_over_one(m, line + 1.0, 0.0)
        assert model.median_one(m) == median_one(m, 0.0)


def test_without_a_line_v2_market_predicts_from_its_features(frame: pd.DataFrame) -> None:
    model = service.train(frame, "v2_market", TRAIN_END)
    test = _after(frame, TRAIN_END)
    unlined = test[test["market_mean"].isna() & test["expected_k_matchup"].notna()].head(30)
    assert len(unlined) > 0
    mean = model.predict_mean(unlined)
    assert np.all(np.isfinite(mean) & (mean > 0.5) & (mean < 15))
    assert np.corrcoef(mean, unlined["expected_k_matchup"])[0, 1] > 0.5


def test_a_calibrated_system_moves_its_distribution_not_one_number(frame: pd.DataFrame) -> None:
    model = service.train(frame, "v1_baseline", TRAIN_END)
    model = dataclasses.replace(model, calibration=OverCalibration((0.1, 0.9, 0.4), 400))
    test = _after(frame, TRAIN_END)
    test = test[test["line"].notna()].head(30)
    raw = model.predict_matrix(test[model.feature_names].to_numpy(dtype=float))
    mean = model.predict_mean(test)
    for i, row in enumerate(test.itertuples()):
        p_raw = p_over_one(float(raw[i]), row.line, model.alpha)
        assert p_raw is not None
        calibrated = model.calibration.apply_one(p_raw, p_raw, row.implied_over_prob)
        # the served law prices the opening line as the calibration says...
        assert model.p_over_one(mean[i], row.line) == pytest.approx(calibrated, abs=1e-6)
        # ...and every other line, the median and the mean come from that same law
        assert model.p_over_one(mean[i], 7.5) == p_over_one(mean[i], 7.5, model.alpha)
        assert model.median_one(mean[i]) == median_one(mean[i], model.alpha)
    assert not math.isclose(float(np.mean(np.abs(mean - raw))), 0.0)
