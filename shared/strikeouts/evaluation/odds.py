"""American odds: conversion to decimal odds, implied and de-vigged probabilities, profit.

Every function takes scalars or arrays and returns a float array (0-d for a scalar); NaN
odds (no price) stay NaN, while a value strictly between -100 and +100 is not an American
price and raises ``ValueError`` naming it.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


def _american(odds: npt.ArrayLike) -> FloatArray:
    values = np.asarray(odds, dtype=np.float64)
    bad = np.abs(values) < 100
    if np.any(bad):
        raise ValueError(
            f"American odds must be <= -100 or >= +100; got {values[bad].ravel()[:5].tolist()}"
        )
    return values


def american_to_decimal(odds: npt.ArrayLike) -> FloatArray:
    """Decimal odds (total return per unit staked): +150 → 2.5, -200 → 1.5."""
    values = _american(odds)
    return np.where(values > 0, 1 + values / 100, 1 + 100 / np.abs(values))


def profit_per_unit(odds: npt.ArrayLike) -> FloatArray:
    """Net profit of a winning 1-unit bet: +150 → 1.5, -110 → 0.909…; a loss is always -1."""
    return american_to_decimal(odds) - 1


def american_to_implied_prob(odds: npt.ArrayLike) -> FloatArray:
    """Break-even probability of a price, vig included: -110 → 0.5238, +100 → 0.5."""
    return 1 / american_to_decimal(odds)


def devig_two_way(
    over_odds: npt.ArrayLike, under_odds: npt.ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """Fair (p_over, p_under) from a two-way market, by multiplicative normalisation.

    Each side's implied probability is divided by their sum (the overround), so the pair sums
    to 1 and keeps the book's ratio: -110/-110 → 0.5/0.5; -150/+130 → 0.5798/0.4202. This
    assumes the vig is spread in proportion to the probabilities (no favourite-longshot
    adjustment). NaN when either side has no price.
    """
    q_over = american_to_implied_prob(over_odds)
    q_under = american_to_implied_prob(under_odds)
    total = q_over + q_under
    return q_over / total, q_under / total


def fair_american(p: float) -> float | None:
    """The American price at which a bet winning with probability ``p`` breaks even
    (0.6 → -150, 0.4 → +150); None when ``p`` is 0, 1 or unknown."""
    if not 0.0 < p < 1.0:
        return None
    return -100.0 * p / (1 - p) if p >= 0.5 else 100.0 * (1 - p) / p


def expected_profit(p_win: float, p_lose: float, odds: float) -> float:
    """Expected profit of a 1-unit bet at American ``odds`` (a push returns the stake)."""
    return p_win * float(profit_per_unit(odds)) - p_lose
