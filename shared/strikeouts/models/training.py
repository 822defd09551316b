"""Training a system: an XGBoost count model plus the dispersion that turns it into P(over).

Invariant: the model never sees a row on or after ``train_end``; the dispersion and the
validation metrics come from the last slice of the window, which the early-stopped model
did not train on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import xgboost as xgb

from strikeouts.errors import StrikeoutsError
from strikeouts.models.calibration import OverCalibration, fit_over_calibration
from strikeouts.models.countdist import FloatArray, fit_dispersion, p_over, p_over_one
from strikeouts.models.metadata import ModelMetadata, fingerprint
from strikeouts.models.store import LoadedModel
from strikeouts.models.systems import SystemSpec

TARGET = "strikeouts"
VALIDATION_FRACTION = 0.15
# Superset features the P(over) calibration reads: the opening line and its de-vigged price.
OPEN_LINE = "line"
MARKET_P_OVER = "implied_over_prob"


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
        """Expected strikeouts for each row (features by name; absent inputs are NaN)."""
        return self.predict_matrix(_matrix(frame, self.feature_names))

    def predict_matrix(self, matrix: npt.NDArray[np.floating[Any]]) -> FloatArray:
        """Expected strikeouts for rows already in ``feature_names`` order (NaN = missing)."""
        # inplace_predict reads the array as float32, as a DMatrix would, without building one
        return np.asarray(self.booster.inplace_predict(matrix), dtype=float)

    def predict(self, frame: pd.DataFrame, line: Any) -> tuple[FloatArray, FloatArray]:
        """(expected strikeouts, P(over line)) per row; P is NaN where the line is missing."""
        mean = self.predict_mean(frame)
        return mean, self.p_over(frame, mean, line)

    def p_over(self, frame: pd.DataFrame, mean: FloatArray, line: Any) -> FloatArray:
        """Calibrated P(over ``line``) around ``mean``, using the opening market in ``frame``."""
        rows = np.broadcast_arrays(
            np.asarray(mean, dtype=float),
            np.asarray(line, dtype=float),
            _column(frame, OPEN_LINE),
            _column(frame, MARKET_P_OVER),
        )
        values = zip(*(r.ravel().tolist() for r in rows), strict=True)
        out = np.fromiter((self.p_over_one(*v) for v in values), float, count=rows[0].size)
        return out.reshape(rows[0].shape)

    def p_over_one(self, mean: float, line: float, open_line: float, market_p: float) -> float:
        """:meth:`p_over` for one row: NaN without a line, else the calibrated probability."""
        raw = p_over_one(mean, line, self.alpha)
        if raw is None or self.calibration.coef is None:
            return math.nan if raw is None else raw
        p_open = p_over_one(mean, open_line, self.alpha)
        return self.calibration.apply_one(raw, math.nan if p_open is None else p_open, market_p)

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
    rows = frame[pd.to_datetime(frame["game_date"]).dt.date < train_end]
    rows = rows[rows[TARGET].notna()].sort_values("game_date")
    if len(rows) < 200:
        raise TrainingError(
            f"{spec.system_id}: only {len(rows)} training rows before {train_end}; need ≥ 200"
        )
    fit_rows, valid_rows = _split(rows)
    params = {**spec.params, "objective": spec.objective, "eval_metric": "mae"}
    dfit = _dmatrix(fit_rows, feature_names)
    dvalid = _dmatrix(valid_rows, feature_names)
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
    alpha = fit_dispersion(valid_y, valid_pred)
    calibration = _fit_calibration(valid_rows, valid_pred, alpha)
    # Refit on the whole window with the rounds early stopping chose, scaled for the extra data.
    final = xgb.train(params, _dmatrix(rows, feature_names), num_boost_round=int(rounds * 1.1) + 1)
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


def _dmatrix(rows: pd.DataFrame, names: list[str]) -> xgb.DMatrix:
    return xgb.DMatrix(
        _matrix(rows, names), label=rows[TARGET].to_numpy(dtype=float), feature_names=names
    )
