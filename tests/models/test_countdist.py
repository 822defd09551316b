"""The closed-form count distribution and calibration against their references (scipy, numpy)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from strikeouts.countlaw import (
    cdf_pmf,
    mean_for_p_over,
    median,
    median_one,
    mixture_median,
    mixture_p_over,
    p_over,
    p_over_one,
)
from strikeouts.models.calibration import OverCalibration

MEANS = np.r_[np.linspace(0.2, 15.0, 75), 20.0, 27.0]
LINES = np.r_[-0.5, 0.0, np.arange(0.5, 30.0, 0.5)]  # half-point and whole-number lines
# 0 and below 1e-6 are the Poisson; 0.0088 and 0.0123 are what the 2025 champions fitted.
ALPHAS = (0.0, 1e-7, 1e-3, 0.0088, 0.0123, 0.05, 0.2, 1.0, 5.0)


def scipy_p_over(mean: np.ndarray, line: np.ndarray, alpha: float) -> np.ndarray:
    """The scipy.stats implementation this module replaced, kept as the reference."""
    mu, ln = np.clip(mean, 1e-6, None), np.asarray(line, dtype=float)
    floor = np.floor(ln)
    if alpha < 1e-6:
        cdf, pmf = stats.poisson.cdf(floor, mu), stats.poisson.pmf(floor, mu)
    else:
        n = 1.0 / alpha
        cdf, pmf = (
            stats.nbinom.cdf(floor, n, n / (n + mu)),
            stats.nbinom.pmf(floor, n, n / (n + mu)),
        )
    push = np.where(np.isclose(floor, ln), pmf, 0.0)
    return np.asarray((1.0 - cdf) / np.clip(1.0 - push, 1e-12, None))


@pytest.mark.parametrize("alpha", ALPHAS)
def test_p_over_matches_scipy_on_the_grid(alpha: float) -> None:
    mean, line = np.meshgrid(MEANS, LINES)
    np.testing.assert_allclose(
        p_over(mean, line, alpha), scipy_p_over(mean, line, alpha), atol=1e-12
    )


@pytest.mark.parametrize("alpha", (0.0, 0.05, 1.0))
def test_cdf_and_pmf_match_scipy(alpha: float) -> None:
    for mu in (0.3, 5.5, 27.0):
        for k in (-1, 0, 3, 12, 40):
            cdf, pmf = cdf_pmf(k, mu, alpha)
            if alpha == 0.0:
                want = stats.poisson.cdf(k, mu), stats.poisson.pmf(k, mu)
            else:
                n = 1.0 / alpha
                want = stats.nbinom.cdf(k, n, n / (n + mu)), stats.nbinom.pmf(k, n, n / (n + mu))
            assert (cdf, pmf) == pytest.approx(want, abs=1e-12)


def test_near_poisson_dispersion_stays_close_to_scipy() -> None:
    """n = 1/alpha in the 10⁴..10⁶ range: scipy's incomplete beta itself drifts ~1e-10 there."""
    mean, line = np.meshgrid(MEANS, LINES)
    for alpha in (1e-6, 1e-5, 1e-4):
        np.testing.assert_allclose(
            p_over(mean, line, alpha), scipy_p_over(mean, line, alpha), atol=1e-9
        )


def test_whole_number_line_refunds_the_push() -> None:
    cdf, pmf = cdf_pmf(5, 5.0, 0.0)
    assert p_over_one(5.0, 5.0, 0.0) == pytest.approx((1 - cdf) / (1 - pmf), rel=1e-15)
    assert p_over_one(5.0, 5.5, 0.0) == pytest.approx(1 - cdf, rel=1e-15)
    assert (p_over_one(5.0, 5.0, 0.0) or 0.0) > (p_over_one(5.0, 5.5, 0.0) or 1.0)


def test_scalar_and_array_forms_agree_exactly() -> None:
    mean = np.array([0.0, 4.2, 6.7, np.nan, 5.0, 8.1])
    line = np.array([4.5, 5.0, np.nan, 5.5, 7.0, 6.5])
    for alpha in (0.0, 0.0088, 0.3):
        got = p_over(mean, line, alpha)
        for m, x, g in zip(mean, line, got, strict=True):
            one = p_over_one(float(m), float(x), alpha)
            if one is None:
                assert math.isnan(g) and not math.isfinite(x)
            elif math.isnan(one):
                assert math.isnan(g) and math.isnan(m)
            else:
                assert g == one
    assert p_over_one(5.0, None, 0.1) is None
    assert p_over(np.array([5.0, 6.0]), 5.5, 0.1).shape == (2,)  # a scalar line broadcasts


def numpy_calibration(
    cal: OverCalibration, pl: np.ndarray, po: np.ndarray, pm: np.ndarray
) -> np.ndarray:
    """The array formula this module applied before the scalar form, kept as the reference."""

    def logit(p: np.ndarray) -> np.ndarray:
        q = np.clip(p, 1e-6, 1 - 1e-6)
        return np.asarray(np.log(q / (1 - q)))

    shift = logit(pm) - logit(po)
    x = np.column_stack([np.ones_like(pl), logit(pl), np.where(np.isfinite(shift), shift, 0.0)])
    out = 1.0 / (1.0 + np.exp(-(x @ np.asarray(cal.coef))))
    return np.where(np.isfinite(pl), out, np.nan)


def test_calibration_apply_matches_the_array_formula_and_its_scalar_form() -> None:
    rng = np.random.default_rng(11)
    pl, po, pm = rng.uniform(0.01, 0.99, (3, 500))
    pl[:5], pm[5:10], po[10:12] = np.nan, np.nan, 0.0  # no model p, no market, a clipped open
    cal = OverCalibration((0.1, 0.9, 0.4), 500)
    got = cal.apply(pl, po, pm)
    np.testing.assert_allclose(got, numpy_calibration(cal, pl, po, pm), atol=1e-12)
    assert np.isnan(got[:5]).all() and np.isfinite(got[5:]).all()
    for i in range(len(pl)):
        one = cal.apply_one(float(pl[i]), float(po[i]), float(pm[i]))
        assert (math.isnan(one) and math.isnan(got[i])) or one == got[i]
    identity = OverCalibration(None, 0)
    np.testing.assert_array_equal(identity.apply(pl, po, pm), pl)
    assert identity.apply_one(0.37, 0.5, 0.5) == 0.37


@pytest.mark.parametrize("alpha", (0.0, 0.0123, 0.2))
def test_mean_for_p_over_inverts_p_over(alpha: float) -> None:
    for line in (0.5, 2.5, 4.5, 5.5, 7.5, 10.5, 6.0):
        for p in (0.05, 0.3, 0.5, 0.62, 0.9):
            mean = mean_for_p_over(line, p, alpha)
            assert 0.01 < mean < 30.0
            assert p_over_one(mean, line, alpha) == pytest.approx(p, abs=1e-6)


def test_mean_for_p_over_needs_a_line_and_a_proper_probability() -> None:
    assert math.isnan(mean_for_p_over(math.nan, 0.5, 0.0))
    assert math.isnan(mean_for_p_over(5.5, math.nan, 0.0))
    assert math.isnan(mean_for_p_over(5.5, 1.0, 0.0))
    assert math.isnan(mean_for_p_over(5.5, 0.0, 0.0))


@pytest.mark.parametrize("alpha", (0.0, 0.0123, 0.2, 1.0))
def test_median_matches_scipy(alpha: float) -> None:
    for mean in MEANS:
        if alpha < 1e-6:
            expected = stats.poisson.median(mean)
        else:
            n = 1.0 / alpha
            expected = stats.nbinom.median(n, n / (n + mean))
        assert median_one(float(mean), alpha) == expected
    np.testing.assert_array_equal(median(MEANS, alpha), [median_one(m, alpha) for m in MEANS])
    assert math.isnan(median_one(math.nan, alpha))


def test_a_one_member_mixture_is_that_member() -> None:
    for line in (4.5, 5.0, 7.5):
        one = mixture_p_over([(1.0, 5.7, 0.0123)], line)
        assert one == pytest.approx(p_over_one(5.7, line, 0.0123), rel=1e-12)
    assert mixture_median([(1.0, 5.7, 0.0123)]) == median_one(5.7, 0.0123)
    assert mixture_p_over([(1.0, 5.7, 0.0)], None) is None
    assert mixture_median([]) is None


def test_mixture_reads_the_mixed_law_not_the_average_of_medians() -> None:
    laws = [(0.5, 3.0, 0.0), (0.5, 9.0, 0.0)]
    cdf = [0.5 * stats.poisson.cdf(k, 3.0) + 0.5 * stats.poisson.cdf(k, 9.0) for k in range(30)]
    assert mixture_median(laws) == next(k for k, c in enumerate(cdf) if c >= 0.5)
    expected = 0.5 * stats.poisson.sf(5, 3.0) + 0.5 * stats.poisson.sf(5, 9.0)
    assert mixture_p_over(laws, 5.5) == pytest.approx(expected, rel=1e-12)
    # a whole-number line: the mixture's own push is taken out
    push = 0.5 * stats.poisson.pmf(6, 3.0) + 0.5 * stats.poisson.pmf(6, 9.0)
    above = 0.5 * stats.poisson.sf(6, 3.0) + 0.5 * stats.poisson.sf(6, 9.0)
    assert mixture_p_over(laws, 6.0) == pytest.approx(above / (1 - push), rel=1e-12)
