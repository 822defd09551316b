"""Red flags and confidence: one 0-100 scale for every system and the ensemble.

Confidence is the chance, in percent, that the side the row favours wins against its line
(OVER when p_over > 0.5, else UNDER), read from the row's calibrated ``p_over`` and shrunk
toward a coin flip: ``50 + (100·P(side) − 50) × coverage × multiplier``, where coverage is the
share of real inputs and the multiplier the product of the red-flag factors of that side (and,
for the ensemble, agreement and single-system factors), never below ``multiplier_floor``. So
50 means "no better than a coin flip", and a row without a line (no side to win) has none.
Red flags with action ``skip`` turn the result into status 'skip' with the flag as reason.
Thresholds and factors live in PipelineConfig.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from strikeouts.pipeline.config import Condition, PipelineConfig, Side

COIN_FLIP = 50.0


@dataclass(frozen=True)
class Assessment:
    """Raised flags, the skip reason (if any) and the confidence factors of each side."""

    red_flags: tuple[str, ...]
    skip_reason: str | None
    factors: Mapping[Side, float] = field(default_factory=lambda: {"OVER": 1.0, "UNDER": 1.0})

    def multiplier(self, side: Side) -> float:
        """The product of the raised flags' factors for ``side``."""
        return self.factors[side]


def _value(features: Mapping[str, float | None], name: str) -> float | None:
    value = features.get(name)
    if value is None or not math.isfinite(float(value)):
        return None
    return float(value)


def _holds(condition: Condition, features: Mapping[str, float | None]) -> bool:
    value = _value(features, condition.feature)
    if value is None:
        return False
    return {
        "lt": value < condition.threshold,
        "le": value <= condition.threshold,
        "gt": value > condition.threshold,
        "ge": value >= condition.threshold,
        "eq": value == condition.threshold,
    }[condition.comparison]


def assess(features: Mapping[str, float | None], config: PipelineConfig) -> Assessment:
    """The red flags raised by ``features``; a missing input never raises a flag."""
    flags: list[str] = []
    skips: list[str] = []
    factors: dict[Side, float] = {"OVER": 1.0, "UNDER": 1.0}
    for name, rule in config.red_flags.items():
        if not all(_holds(c, features) for c in rule.conditions):
            continue
        flags.append(name)
        if rule.action == "skip":
            values = ", ".join(
                f"{c.feature}={_value(features, c.feature):g}" for c in rule.conditions
            )
            skips.append(f"{name} ({values})")
        else:
            factors = {side: factors[side] * rule.factor(side) for side in factors}
    reason = "red flag: " + ", ".join(skips) if skips else None
    return Assessment(tuple(flags), reason, factors)


def favoured_side(p_over: float) -> Side:
    """The side ``p_over`` favours (OVER at exactly one half: the line's own side)."""
    return "OVER" if p_over >= 0.5 else "UNDER"


def base_confidence(p_over: float | None, coverage: float | None) -> float | None:
    """100 × P(favoured side wins) shrunk toward 50 by the share of real inputs; None
    without a probability (no line)."""
    if p_over is None or not math.isfinite(p_over):
        return None
    cov = min(max(coverage if coverage is not None else 0.0, 0.0), 1.0)
    return COIN_FLIP + (100.0 * max(p_over, 1.0 - p_over) - COIN_FLIP) * cov


def scaled(base: float | None, multiplier: float, config: PipelineConfig) -> float | None:
    """``base``'s conviction (its excess over 50) scaled by ``multiplier`` (floored), 50..100."""
    if base is None:
        return None
    factor = max(multiplier, config.multiplier_floor)
    return clamp_confidence(COIN_FLIP + (base - COIN_FLIP) * factor)


def clamp_confidence(value: float) -> float:
    """``value`` clipped to the 0-100 scale."""
    return min(max(value, 0.0), 100.0)
