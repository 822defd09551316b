"""The strikeout count distribution around a predicted mean, and P(over a line) from it.

A system predicts an expected count; ``p_over`` comes from a negative-binomial (or, when the
fitted dispersion is not positive, Poisson) distribution with that mean. The probability is
never used as a count, and the count is never squashed into a probability.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from scipy import stats

FloatArray = npt.NDArray[np.float64]

# Below this the negative binomial is numerically a Poisson; keeps scipy's n = 1/alpha finite.
_MIN_ALPHA = 1e-6


def fit_dispersion(actual: npt.ArrayLike, predicted: npt.ArrayLike) -> float:
    """Method-of-moments NB2 dispersion ``alpha`` with Var = mu + alpha·mu² (0 = Poisson).

    Fitted on residuals the model did not train on; a negative estimate (under-dispersion)
    is clipped to 0 so the distribution stays a valid Poisson.
    """
    y = np.asarray(actual, dtype=float)
    mu = np.clip(np.asarray(predicted, dtype=float), 1e-6, None)
    ok = np.isfinite(y) & np.isfinite(mu)
    if not ok.any():
        raise ValueError("fit_dispersion needs at least one finite (actual, predicted) pair")
    y, mu = y[ok], mu[ok]
    alpha = float(np.sum((y - mu) ** 2 - mu) / np.sum(mu**2))
    return max(alpha, 0.0)


def _cdf(k: FloatArray, mu: FloatArray, alpha: float) -> FloatArray:
    if alpha < _MIN_ALPHA:
        return np.asarray(stats.poisson.cdf(k, mu), dtype=float)
    n = 1.0 / alpha
    return np.asarray(stats.nbinom.cdf(k, n, n / (n + mu)), dtype=float)


def _pmf(k: FloatArray, mu: FloatArray, alpha: float) -> FloatArray:
    if alpha < _MIN_ALPHA:
        return np.asarray(stats.poisson.pmf(k, mu), dtype=float)
    n = 1.0 / alpha
    return np.asarray(stats.nbinom.pmf(k, n, n / (n + mu)), dtype=float)


def p_over(mean: npt.ArrayLike, line: npt.ArrayLike, alpha: float) -> FloatArray:
    """P(strikeouts > line | not a push) for each (mean, line); NaN where the line is NaN.

    For half-point lines this is P(K ≥ ⌈line⌉); for whole-number lines the push (K = line)
    is excluded, as a sportsbook refunds it.
    """
    mu = np.clip(np.asarray(mean, dtype=float), 1e-6, None)
    ln = np.asarray(line, dtype=float)
    mu, ln = np.broadcast_arrays(mu, ln)
    out = np.full(mu.shape, np.nan)
    ok = np.isfinite(ln) & np.isfinite(mu)
    if not ok.any():
        return out
    floor = np.floor(ln[ok])
    over = 1.0 - _cdf(floor, mu[ok], alpha)
    whole = np.isclose(floor, ln[ok])
    push = np.where(whole, _pmf(floor, mu[ok], alpha), 0.0)
    out[ok] = over / np.clip(1.0 - push, 1e-12, None)
    return out


def p_over_one(mean: float, line: float | None, alpha: float) -> float | None:
    """Scalar form of :func:`p_over`; None without a line."""
    if line is None or not math.isfinite(line):
        return None
    return float(p_over(np.array([mean]), np.array([line]), alpha)[0])
