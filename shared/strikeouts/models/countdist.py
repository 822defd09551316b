"""The strikeout count distribution around a predicted mean, and P(over a line) from it.

A system predicts an expected count; ``p_over`` comes from a negative-binomial (or, when the
fitted dispersion is not positive, Poisson) distribution with that mean. The probability is
never used as a count, and the count is never squashed into a probability.

One scalar implementation serves both forms: the array form maps it over the rows, so a
single pitcher-game served by the pipeline gets exactly the number a batch (backtest) gets.
The pmf is built by its closed-form ratio recursion from pmf(0); scipy.stats is the
reference the tests hold it to (1e-12), not a runtime dependency of serving.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

# Below this the negative binomial is numerically a Poisson; keeps n = 1/alpha finite.
_MIN_ALPHA = 1e-6
_MIN_MEAN = 1e-6
# np.isclose's defaults, which decided "whole-number line" before the scalar form existed.
_WHOLE_RTOL = 1e-5
_WHOLE_ATOL = 1e-8


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


def cdf_pmf(k: int, mu: float, alpha: float) -> tuple[float, float]:
    """(P(K ≤ k), P(K = k)) for K ~ NB2(mean ``mu``, dispersion ``alpha``), Poisson below 1e-6.

    pmf(0) is exp(−mu) (Poisson) or (n/(n+mu))^n with n = 1/alpha; each next term is
    pmf(j+1) = pmf(j)·mu/(j+1), resp. pmf(j)·(j+n)/(j+1)·mu/(n+mu).
    """
    if k < 0:
        return 0.0, 0.0
    if alpha < _MIN_ALPHA:
        pmf = math.exp(-mu)
        ratio = mu
        n = 0.0
    else:
        n = 1.0 / alpha
        pmf = math.exp(-n * math.log1p(mu / n))
        ratio = mu / (n + mu)
    cdf = pmf
    for j in range(k):
        pmf *= (ratio / (j + 1)) if n == 0.0 else ((j + n) / (j + 1) * ratio)
        cdf += pmf
    return min(cdf, 1.0), pmf


def p_over_one(mean: float, line: float | None, alpha: float) -> float | None:
    """P(strikeouts > ``line`` | not a push) around ``mean``; None without a (finite) line.

    For half-point lines this is P(K ≥ ⌈line⌉); for whole-number lines the push (K = line)
    is excluded, as a sportsbook refunds it. A NaN mean gives NaN.
    """
    if line is None or not math.isfinite(line):
        return None
    if math.isnan(mean):
        return math.nan
    mu = max(mean, _MIN_MEAN)
    floor = math.floor(line)
    cdf, pmf = cdf_pmf(int(floor), mu, alpha)
    whole = abs(floor - line) <= _WHOLE_ATOL + _WHOLE_RTOL * abs(line)
    push = pmf if whole else 0.0
    return (1.0 - cdf) / max(1.0 - push, 1e-12)


def p_over(mean: npt.ArrayLike, line: npt.ArrayLike, alpha: float) -> FloatArray:
    """:func:`p_over_one` for each (mean, line) pair (broadcast); NaN where the line is NaN."""
    mu, ln = np.broadcast_arrays(np.asarray(mean, dtype=float), np.asarray(line, dtype=float))
    pairs = zip(mu.ravel().tolist(), ln.ravel().tolist(), strict=True)
    values = (p_over_one(m, x, alpha) for m, x in pairs)
    out = np.fromiter((math.nan if v is None else v for v in values), float, count=mu.size)
    return out.reshape(mu.shape)


def pmf_vector(mean: float, alpha: float, top: int = 20) -> list[float]:
    """P(K = k) for k = 0..``top``-1 and P(K ≥ ``top``) last, around ``mean``: sums to 1."""
    mu = max(mean, _MIN_MEAN)
    out = []
    below = 0.0
    for k in range(top):
        cdf, pmf = cdf_pmf(k, mu, alpha)
        out.append(pmf)
        below = cdf
    out.append(max(1.0 - below, 0.0))
    return out
