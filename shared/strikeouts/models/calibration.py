"""Recalibrating P(over) with what the market said when the event fired.

p = σ(a + b·logit(p_model(L)) + c·[logit(p_market(L₀)) − logit(p_model(L₀))]), where L is the
line being priced, L₀ the opening line and p_market the de-vigged opening price. The market
term carries the market's disagreement with the model at L₀ over to L, so it also works when
the line moved. Fitted on rows the count model did not train on; without enough of them the
calibration is the identity and says so. Applying it is scalar arithmetic mapped over the rows,
so one pitcher-game served alone gets exactly the number it gets in a batch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from strikeouts.countlaw import FloatArray

MIN_ROWS = 300
_EPS = 1e-6
_RIDGE = 1.0  # keeps the three coefficients sane on a few hundred rows


def _logit(p: FloatArray) -> FloatArray:
    q = np.clip(p, _EPS, 1 - _EPS)
    return np.asarray(np.log(q / (1 - q)), dtype=float)


def _logit_one(p: float) -> float:
    q = min(max(p, _EPS), 1 - _EPS)
    return math.log(q / (1 - q))


def _sigmoid_one(z: float) -> float:
    # math.exp overflows where np.exp gave inf (and so 0.0); the limit is the same
    return 0.0 if z < -700.0 else 1.0 / (1.0 + math.exp(-z))


def _design(p_line: FloatArray, p_open: FloatArray, p_market: FloatArray) -> FloatArray:
    shift = _logit(p_market) - _logit(p_open)
    shift = np.where(np.isfinite(shift), shift, 0.0)
    return np.column_stack([np.ones_like(p_line), _logit(p_line), shift])


@dataclass(frozen=True)
class OverCalibration:
    """Coefficients (intercept, model, market shift), or None for the identity."""

    coef: tuple[float, float, float] | None
    n: int
    note: str = ""

    def apply(
        self, p_line: npt.ArrayLike, p_open: npt.ArrayLike, p_market: npt.ArrayLike
    ) -> FloatArray:
        """Calibrated P(over) per row (:meth:`apply_one`, broadcast); NaN stays NaN."""
        if self.coef is None:
            return np.asarray(p_line, dtype=float)
        pl, po, pm = np.broadcast_arrays(
            np.asarray(p_line, dtype=float),
            np.asarray(p_open, dtype=float),
            np.asarray(p_market, dtype=float),
        )
        rows = zip(pl.ravel().tolist(), po.ravel().tolist(), pm.ravel().tolist(), strict=True)
        out = np.fromiter((self.apply_one(*row) for row in rows), float, count=pl.size)
        return out.reshape(pl.shape)

    def apply_one(self, p_line: float, p_open: float, p_market: float) -> float:
        """Calibrated P(over) for one row; NaN where the model has no probability."""
        if self.coef is None:
            return p_line
        if not math.isfinite(p_line):
            return math.nan
        shift = _logit_one(p_market) - _logit_one(p_open)
        a, b, c = self.coef
        z = a + b * _logit_one(p_line) + c * (shift if math.isfinite(shift) else 0.0)
        return _sigmoid_one(z)

    def to_dict(self) -> dict[str, Any]:
        return {
            "coef": None if self.coef is None else list(self.coef),
            "n": self.n,
            "note": self.note,
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any] | None) -> OverCalibration:
        if not raw or raw.get("coef") is None:
            return cls(None, int((raw or {}).get("n", 0)), str((raw or {}).get("note", "")))
        a, b, c = (float(v) for v in raw["coef"])
        return cls((a, b, c), int(raw["n"]), str(raw.get("note", "")))


def fit_over_calibration(
    p_line: npt.ArrayLike,
    p_open: npt.ArrayLike,
    p_market: npt.ArrayLike,
    outcome: npt.ArrayLike,
    min_rows: int = MIN_ROWS,
) -> OverCalibration:
    """Ridge-penalised logistic fit; the identity when fewer than ``min_rows`` graded rows."""
    # imported here: serving only applies a fit, and scipy.optimize costs a cold start ~0.2 s
    from scipy.optimize import minimize

    y = np.asarray(outcome, dtype=float)
    pl = np.asarray(p_line, dtype=float)
    ok = np.isfinite(y) & np.isfinite(pl)
    n = int(ok.sum())
    if n < min_rows:
        return OverCalibration(None, n, f"identity: {n} graded rows < {min_rows}")
    x = _design(pl[ok], np.asarray(p_open, dtype=float)[ok], np.asarray(p_market, dtype=float)[ok])
    y = y[ok]
    prior = np.array([0.0, 1.0, 0.0])  # shrink toward the uncalibrated model

    def loss(w: FloatArray) -> tuple[float, FloatArray]:
        z = x @ w
        p = 1.0 / (1.0 + np.exp(-z))
        nll = float(np.sum(np.logaddexp(0, z) - y * z)) + _RIDGE * float(np.sum((w - prior) ** 2))
        grad = x.T @ (p - y) + 2 * _RIDGE * (w - prior)
        return nll, np.asarray(grad, dtype=float)

    fit = minimize(loss, prior, jac=True, method="L-BFGS-B")
    a, b, c = (float(v) for v in fit.x)
    return OverCalibration((a, b, c), n, "logistic on held-out rows")
