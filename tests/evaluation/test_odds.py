"""American odds conversions and two-way de-vigging, checked against hand arithmetic."""

from __future__ import annotations

import math

import numpy as np
import pytest

from strikeouts.evaluation.odds import (
    american_to_decimal,
    american_to_implied_prob,
    devig_two_way,
    profit_per_unit,
)


@pytest.mark.parametrize(
    ("odds", "decimal"), [(150, 2.5), (-200, 1.5), (100, 2.0), (-100, 2.0), (-110, 21 / 11)]
)
def test_american_to_decimal(odds: float, decimal: float) -> None:
    assert float(american_to_decimal(odds)) == pytest.approx(decimal)


def test_implied_probability_and_profit() -> None:
    assert float(american_to_implied_prob(-110)) == pytest.approx(110 / 210)
    assert float(american_to_implied_prob(+300)) == pytest.approx(0.25)
    np.testing.assert_allclose(profit_per_unit([-110, 120, 100]), [100 / 110, 1.2, 1.0])


def test_devig_of_a_symmetric_market_is_even() -> None:
    p_over, p_under = devig_two_way(-110, -110)
    assert float(p_over) == pytest.approx(0.5)
    assert float(p_under) == pytest.approx(0.5)


def test_devig_keeps_the_ratio_and_sums_to_one() -> None:
    p_over, p_under = devig_two_way([-150, 120], [130, -140])
    q_over, q_under = 150 / 250, 100 / 230  # implied, vig included
    assert p_over[0] == pytest.approx(q_over / (q_over + q_under))
    assert p_over[0] / p_under[0] == pytest.approx(q_over / q_under)
    np.testing.assert_allclose(p_over + p_under, [1.0, 1.0])


def test_a_missing_price_stays_missing() -> None:
    p_over, _ = devig_two_way([np.nan, -110], [-110, -110])
    assert math.isnan(p_over[0])
    assert p_over[1] == pytest.approx(0.5)


def test_a_price_between_minus_and_plus_100_is_refused() -> None:
    with pytest.raises(ValueError, match=r"\[50\.0\]"):
        american_to_decimal([-110, 50])
