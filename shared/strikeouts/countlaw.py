"""The strikeout count law: one distribution per prediction, and everything read from it.

Invariant: a prediction's mean, median and P(over/under) at every line come from one law, a
negative binomial NB2(mean, dispersion) (Poisson at dispersion 0), or the weighted mixture of
such laws (the ensemble); the solver gives the mean of the law with a stated P(over a line)
(the market's implied mean, a calibrated location). Pure arithmetic, importing no other
layer, so features, models, the pipeline and the backtest all read the same law.

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


def p_under_one(mean: float, line: float, alpha: float) -> float:
    """P(strikeouts < ``line`` | not a push) around ``mean`` (the complement of p_over)."""
    p = p_over_one(mean, line, alpha)
    return math.nan if p is None else 1.0 - p


# Bracket of the mean solved for: no starter's expected strikeouts leaves it.
_SOLVE_LOW = 0.01
_SOLVE_HIGH = 30.0
_SOLVE_TOL = 1e-7
_SOLVE_MAX_STEPS = 60


def mean_for_p_over(line: float, p: float, alpha: float) -> float:
    """The mean whose count law NB2(mean, ``alpha``) has P(over ``line``) = ``p``; NaN when
    the line or the probability is missing, or ``p`` is not strictly inside (0, 1).

    P(over) rises strictly with the mean, so the root is unique; the Illinois variant of
    regula falsi on the bracket [0.01, 30] reaches it in a few evaluations (a probability
    beyond what the bracket reaches gives the bracket's end).
    """
    if not (math.isfinite(line) and math.isfinite(p)) or not 0.0 < p < 1.0:
        return math.nan

    def gap(mu: float) -> float:
        value = p_over_one(mu, line, alpha)
        return (math.nan if value is None else value) - p

    lo, hi = _SOLVE_LOW, _SOLVE_HIGH
    f_lo, f_hi = gap(lo), gap(hi)
    if f_lo >= 0.0:
        return lo
    if f_hi <= 0.0:
        return hi
    side = 0
    mid = lo
    for _ in range(_SOLVE_MAX_STEPS):
        mid = (lo * f_hi - hi * f_lo) / (f_hi - f_lo)
        f_mid = gap(mid)
        if abs(f_mid) < _SOLVE_TOL:
            break
        if f_mid < 0.0:
            lo, f_lo = mid, f_mid
            if side == -1:
                f_hi /= 2.0
            side = -1
        else:
            hi, f_hi = mid, f_mid
            if side == 1:
                f_lo /= 2.0
            side = 1
    return mid


def median_one(mean: float, alpha: float) -> float:
    """The median of NB2(``mean``, ``alpha``): the least k with P(K ≤ k) ≥ 1/2 (NaN mean: NaN).

    A whole number: the point that minimises the expected absolute error of a count.
    """
    if math.isnan(mean):
        return math.nan
    mu = max(mean, _MIN_MEAN)
    k = max(int(mu) - 1, 0)
    while cdf_pmf(k, mu, alpha)[0] < 0.5:
        k += 1
    while k > 0 and cdf_pmf(k - 1, mu, alpha)[0] >= 0.5:
        k -= 1
    return float(k)


def median(mean: npt.ArrayLike, alpha: float) -> FloatArray:
    """:func:`median_one` of each mean."""
    mu = np.asarray(mean, dtype=float)
    out = np.fromiter((median_one(m, alpha) for m in mu.ravel().tolist()), float, count=mu.size)
    return out.reshape(mu.shape)


Component = tuple[float, float, float]
"""(weight, mean, dispersion) of one member of a mixture of count laws."""


def mixture_p_over(components: list[Component], line: float | None) -> float | None:
    """P(over ``line`` | not a push) of the weighted mixture (weights sum to 1); None without
    a line. The push is the mixture's own P(K = line), as for a single law."""
    if line is None or not math.isfinite(line) or not components:
        return None
    floor = math.floor(line)
    whole = abs(floor - line) <= _WHOLE_ATOL + _WHOLE_RTOL * abs(line)
    above = push = 0.0
    for weight, mean, alpha in components:
        cdf, pmf = cdf_pmf(int(floor), max(mean, _MIN_MEAN), alpha)
        above += weight * (1.0 - cdf)
        push += weight * (pmf if whole else 0.0)
    return min(max(above / max(1.0 - push, 1e-12), 0.0), 1.0)


def mixture_median(components: list[Component]) -> float | None:
    """The least k whose mixture P(K ≤ k) reaches 1/2; None for an empty mixture."""
    if not components:
        return None
    k = 0
    while k < 100:
        cdf = sum(w * cdf_pmf(k, max(m, _MIN_MEAN), a)[0] for w, m, a in components)
        if cdf >= 0.5:
            return float(k)
        k += 1
    return float(k)
