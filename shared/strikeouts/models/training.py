"""Training a system: an XGBoost count model plus the dispersion that turns it into P(over).

Invariant: the model never sees a row on or after ``train_end``; the dispersion and the
validation metrics come from the last slice of the window, which the early-stopped model
did not train on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import xgboost as xgb

from strikeouts.countlaw import (
    FloatArray,
    fit_dispersion,
    mean_for_p_over,
    median_one,
    p_over,
    p_over_one,
)
from strikeouts.errors import StrikeoutsError
from strikeouts.models.calibration import OverCalibration, fit_over_calibration
from strikeouts.models.metadata import ModelMetadata, fingerprint
from strikeouts.models.store import LoadedModel, ModelStore
from strikeouts.models.systems import SystemSpec, get_system
from strikeouts.names import CHAMPION

if TYPE_CHECKING:
    # serving never builds a frame: a system function loads and predicts without pandas
    import pandas as pd

TARGET = "strikeouts"
VALIDATION_FRACTION = 0.15
# Superset features the P(over) calibration reads: the opening line and its de-vigged price.
OPEN_LINE = "line"
MARKET_P_OVER = "implied_over_prob"
# A starter's strikeouts per start, league-wide 2021-2025 (4.73-4.84): the anchor of last resort.
LEAGUE_MEAN_STRIKEOUTS = 4.8
# An anchored system corrects the market only once this many lined starts precede it; before,
# its booster has no trees and it serves the market's own count law.
MIN_ANCHORED_ROWS = 300


class TrainingError(StrikeoutsError, ValueError):
    """The training window cannot produce a model (no rows, no target...)."""


@dataclass
class TrainedSystem:
    """A fitted model with everything needed to predict a count and P(over)."""

    spec: SystemSpec
    booster: xgb.Booster
    feature_names: list[str]
    alpha: float
    metadata: ModelMetadata
    calibration: OverCalibration = field(default_factory=lambda: OverCalibration(None, 0, "none"))

    def predict_mean(self, frame: pd.DataFrame) -> FloatArray:
        """The mean of each row's count distribution (features by name; absent inputs NaN).

        That is the booster's count moved by the calibration (:meth:`served_mean_one`), so
        the mean, the median and P(over) at every line are read from one distribution.
        """
        raw = self.predict_matrix(_matrix(frame, self.feature_names))
        rows = (raw, _column(frame, OPEN_LINE), _column(frame, MARKET_P_OVER))
        values = zip(*(r.tolist() for r in rows), strict=True)
        return np.fromiter((self.served_mean_one(*v) for v in values), float, count=len(raw))

    def predict_matrix(self, matrix: npt.NDArray[np.floating[Any]]) -> FloatArray:
        """The booster's expected strikeouts for rows in ``feature_names`` order (NaN = missing),
        before calibration; an anchored system's booster adds to log(anchor) (its base margin)."""
        # inplace_predict reads the array as float32, as a DMatrix would, without building one
        if self.spec.anchor is None:
            return np.asarray(self.booster.inplace_predict(matrix), dtype=float)
        margin = anchor_margin(self.spec, self.feature_names, np.asarray(matrix, dtype=float))
        return np.asarray(self.booster.inplace_predict(matrix, base_margin=margin), dtype=float)

    def predict(self, frame: pd.DataFrame, line: Any) -> tuple[FloatArray, FloatArray]:
        """(distribution mean, P(over line)) per row; P is NaN where the line is missing."""
        mean = self.predict_mean(frame)
        return mean, self.p_over(mean, line)

    def served_mean_one(self, raw: float, open_line: float, market_p: float) -> float:
        """The mean of the calibrated count distribution around the booster's ``raw`` count.

        The calibration is fitted on P(over the opening line); the distribution is moved
        (same dispersion, new mean) until its P(over that line) is the calibrated one, so every
        line, the median and the mean agree with it. Without an opening line: ``raw``.
        """
        if self.calibration.coef is None or not math.isfinite(raw):
            return raw
        p_open = p_over_one(raw, open_line, self.alpha)
        if p_open is None:
            return raw
        target = self.calibration.apply_one(p_open, p_open, market_p)
        moved = mean_for_p_over(open_line, target, self.alpha)
        return raw if math.isnan(moved) else moved

    def p_over(self, mean: FloatArray, line: Any) -> FloatArray:
        """P(over ``line``) of the distributions with these (served) means; NaN without a line."""
        return p_over(mean, line, self.alpha)

    def p_over_one(self, mean: float, line: float) -> float:
        """:meth:`p_over` for one row: NaN without a line."""
        value = p_over_one(mean, line, self.alpha)
        return math.nan if value is None else value

    def median_one(self, mean: float) -> float:
        """The median of the distribution with this (served) mean: the MAE-optimal count."""
        return median_one(mean, self.alpha)

    def artifact(self) -> bytes:
        """The model in XGBoost's UBJ format."""
        return bytes(self.booster.save_raw(raw_format="ubj"))

    @classmethod
    def from_loaded(cls, spec: SystemSpec, loaded: LoadedModel) -> TrainedSystem:
        """Rebuild a system from a stored artifact and its metadata."""
        booster = xgb.Booster()
        booster.load_model(bytearray(loaded.artifact))
        booster.set_param({"nthread": 1})
        return cls(
            spec=spec,
            booster=booster,
            feature_names=list(loaded.metadata.feature_names),
            alpha=float(loaded.metadata.distribution.get("dispersion", 0.0)),
            metadata=loaded.metadata,
            calibration=OverCalibration.from_dict(loaded.metadata.distribution.get("calibration")),
        )


def anchor_margin(spec: SystemSpec, names: list[str], matrix: FloatArray) -> FloatArray:
    """log of each row's anchor: the market's mean, else the fallback feature, else the league's
    usual starter mean (a row with neither still gets a count, from the features alone)."""
    anchor = matrix[:, names.index(str(spec.anchor))]
    if spec.anchor_fallback is not None:
        fallback = matrix[:, names.index(spec.anchor_fallback)]
        anchor = np.where(np.isfinite(anchor), anchor, fallback)
    anchor = np.where(np.isfinite(anchor) & (anchor > 0), anchor, LEAGUE_MEAN_STRIKEOUTS)
    return np.asarray(np.log(anchor), dtype=float)


def _column(frame: pd.DataFrame, name: str) -> FloatArray:
    if name not in frame.columns:
        return np.full(len(frame), np.nan)
    return frame[name].to_numpy(dtype=float, na_value=np.nan)


def _matrix(frame: pd.DataFrame, names: list[str]) -> FloatArray:
    missing = [n for n in names if n not in frame.columns]
    if missing:
        raise KeyError(f"feature frame lacks {len(missing)} feature(s): {missing[:5]}")
    return frame[names].to_numpy(dtype=float, na_value=np.nan)


def _split(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Chronological split: the last ~15% of dates validate, the rest train."""
    dates = np.sort(frame["game_date"].unique())
    cut = dates[int(len(dates) * (1 - VALIDATION_FRACTION))]
    return frame[frame["game_date"] < cut], frame[frame["game_date"] >= cut]


def fit_system(
    spec: SystemSpec,
    frame: pd.DataFrame,
    feature_names: list[str],
    feature_set_version: str,
    train_end: date,
) -> TrainedSystem:
    """Fit ``spec`` on the rows of ``frame`` dated before ``train_end``."""
    rows = training_rows(spec, frame, train_end)
    return fit_rows(spec, rows, feature_names, feature_set_version, train_end)


def training_rows(spec: SystemSpec, frame: pd.DataFrame, train_end: date) -> pd.DataFrame:
    """The rows a fit of ``spec`` reads, in the order it reads them: labelled, dated before
    ``train_end``, by date; an anchored system's only where its anchor is known."""
    import pandas as pd

    rows = frame[pd.to_datetime(frame["game_date"]).dt.date < train_end]
    rows = rows[rows[TARGET].notna()].sort_values("game_date")
    if spec.anchor is not None:
        rows = rows[rows[spec.anchor].notna()]
    return rows


def fit_rows(
    spec: SystemSpec,
    rows: pd.DataFrame,
    feature_names: list[str],
    feature_set_version: str,
    train_end: date,
) -> TrainedSystem:
    """Fit ``spec`` on :func:`training_rows`' ``rows`` (deterministic: one thread, a fixed seed)."""
    import pandas as pd

    if spec.anchor is not None and len(rows) < MIN_ANCHORED_ROWS:
        # the correction is learnt where the market spoke; before there is enough of it, the
        # system is the market's count law itself (a booster without trees)
        return _market_only(spec, rows, feature_names, feature_set_version, train_end)
    if len(rows) < 200:
        raise TrainingError(
            f"{spec.system_id}: only {len(rows)} training rows before {train_end}; need ≥ 200"
        )
    head_rows, valid_rows = _split(rows)
    params = {**spec.params, "objective": spec.objective, "eval_metric": "mae"}
    dfit = _dmatrix(head_rows, feature_names, spec)
    dvalid = _dmatrix(valid_rows, feature_names, spec)
    early = xgb.train(
        params,
        dfit,
        num_boost_round=spec.num_boost_round,
        evals=[(dvalid, "valid")],
        early_stopping_rounds=spec.early_stopping_rounds,
        verbose_eval=False,
    )
    rounds = early.best_iteration + 1
    valid_pred = early.predict(dvalid, iteration_range=(0, rounds))
    valid_y = valid_rows[TARGET].to_numpy(dtype=float)
    if spec.anchor is None:
        alpha = fit_dispersion(valid_y, valid_pred)
        calibration = _fit_calibration(valid_rows, valid_pred, alpha)
    else:
        # The anchor is the market's own law: Poisson (strikeouts around the market's mean are
        # slightly under-dispersed, which no NB2 can be) whose P(over) already is the
        # de-vigged price; a refitted calibration on a few hundred held-out starts only
        # added noise to it (docs/MODELING.md).
        alpha = 0.0
        calibration = OverCalibration(None, len(valid_rows), "anchored on the market")
    # Refit on the whole window with the rounds early stopping chose, scaled for the extra data.
    final = xgb.train(
        params, _dmatrix(rows, feature_names, spec), num_boost_round=int(rounds * 1.1) + 1
    )
    metadata = ModelMetadata(
        system_id=spec.system_id,
        feature_set_version=feature_set_version,
        feature_names=list(feature_names),
        train_start=pd.Timestamp(rows["game_date"].min()).date(),
        train_end=train_end,
        n_train_rows=len(rows),
        data_fingerprint=fingerprint(rows[[*feature_names, TARGET]]),
        hyperparameters={**params, "num_boost_round": int(rounds * 1.1) + 1},
        distribution={
            "count_model": "negbin" if alpha > 0 else "poisson",
            "anchor": spec.anchor,
            "dispersion": alpha,
            "calibration": calibration.to_dict(),
        },
        validation_metrics={
            "n": len(valid_rows),
            "mae": float(np.mean(np.abs(valid_pred - valid_y))),
            "rmse": float(np.sqrt(np.mean((valid_pred - valid_y) ** 2))),
            "bias": float(np.mean(valid_pred - valid_y)),
            "best_rounds": rounds,
        },
    )
    return TrainedSystem(spec, final, list(feature_names), alpha, metadata, calibration)


def _fit_calibration(valid: pd.DataFrame, mean: FloatArray, alpha: float) -> OverCalibration:
    """Calibration on held-out rows with an opening line, graded against that line."""
    line = _column(valid, OPEN_LINE)
    actual = valid[TARGET].to_numpy(dtype=float)
    outcome = np.where(actual > line, 1.0, np.where(actual < line, 0.0, np.nan))
    p_open = p_over(mean, line, alpha)
    return fit_over_calibration(p_open, p_open, _column(valid, MARKET_P_OVER), outcome)


def _market_only(
    spec: SystemSpec,
    rows: pd.DataFrame,
    feature_names: list[str],
    feature_set_version: str,
    train_end: date,
) -> TrainedSystem:
    """An anchored system with too few lined starts to correct: its anchor's Poisson law."""
    import pandas as pd

    params = {**spec.params, "objective": spec.objective}
    blank = xgb.DMatrix(np.full((1, len(feature_names)), np.nan), label=[0.0])
    empty = xgb.train(params, blank, num_boost_round=0)
    metadata = ModelMetadata(
        system_id=spec.system_id,
        feature_set_version=feature_set_version,
        feature_names=list(feature_names),
        train_start=train_end if rows.empty else pd.Timestamp(rows["game_date"].min()).date(),
        train_end=train_end,
        n_train_rows=len(rows),
        data_fingerprint=fingerprint(rows[[*feature_names, TARGET]]),
        hyperparameters={**params, "num_boost_round": 0},
        distribution={"count_model": "poisson", "dispersion": 0.0, "calibration": None},
        validation_metrics={
            "n": 0,
            "note": f"market only: {len(rows)} lined starts < {MIN_ANCHORED_ROWS}",
        },
    )
    return TrainedSystem(spec, empty, list(feature_names), 0.0, metadata)


def _dmatrix(rows: pd.DataFrame, names: list[str], spec: SystemSpec) -> xgb.DMatrix:
    matrix = _matrix(rows, names)
    margin = None if spec.anchor is None else anchor_margin(spec, names, matrix)
    return xgb.DMatrix(
        matrix,
        label=rows[TARGET].to_numpy(dtype=float),
        feature_names=names,
        base_margin=margin,
    )


def load_system(store: ModelStore, system_id: str, ref: str = CHAMPION) -> TrainedSystem:
    """The system ``system_id`` at ``ref`` (alias or version) from the store."""
    return TrainedSystem.from_loaded(get_system(system_id), store.load(system_id, ref))
