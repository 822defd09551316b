"""Red flags and confidence from the feature snapshot: one 0-100 scale for every system.

Base confidence = 100 × (w_cov·coverage + w_hist·history depth + w_vol·(1 − volatility)),
each component in [0, 1] and a missing input counting as 0 (unknown is not reassuring).
Red flags with action ``skip`` turn the result into status 'skip' with the flag as reason;
flags with action ``multiplier`` scale the confidence. Thresholds live in PipelineConfig.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from strikeouts.pipeline.config import PipelineConfig, RedFlagRule


@dataclass(frozen=True)
class Assessment:
    """Raised flags, the skip reason (if any) and the product of confidence multipliers."""

    red_flags: tuple[str, ...]
    skip_reason: str | None
    multiplier: float


def _value(features: Mapping[str, float | None], name: str) -> float | None:
    value = features.get(name)
    if value is None or not math.isfinite(float(value)):
        return None
    return float(value)


def _raised(rule: RedFlagRule, value: float) -> bool:
    return {
        "lt": value < rule.threshold,
        "le": value <= rule.threshold,
        "gt": value > rule.threshold,
        "ge": value >= rule.threshold,
        "eq": value == rule.threshold,
    }[rule.comparison]


def assess(features: Mapping[str, float | None], config: PipelineConfig) -> Assessment:
    """The red flags raised by ``features``; a missing input never raises a flag."""
    flags: list[str] = []
    skips: list[str] = []
    multiplier = 1.0
    for name, rule in config.red_flags.items():
        value = _value(features, rule.feature)
        if value is None or not _raised(rule, value):
            continue
        flags.append(name)
        if rule.action == "skip":
            skips.append(f"{name} ({rule.feature}={value:g})")
        else:
            multiplier *= rule.multiplier
    reason = "red flag: " + ", ".join(skips) if skips else None
    return Assessment(tuple(flags), reason, multiplier)


def base_confidence(
    features: Mapping[str, float | None], coverage: float | None, config: PipelineConfig
) -> float:
    """Confidence before red-flag multipliers, on the 0-100 scale."""
    cov = min(max(coverage or 0.0, 0.0), 1.0)
    starts = _value(features, config.history_feature)
    history = 0.0 if starts is None else min(max(starts, 0.0) / config.history_full_starts, 1.0)
    k_std = _value(features, config.volatility_feature)
    steadiness = 0.0 if k_std is None else 1.0 - min(max(k_std, 0.0) / config.volatility_cap, 1.0)
    score = (
        config.confidence_weight_coverage * cov
        + config.confidence_weight_history * history
        + config.confidence_weight_volatility * steadiness
    )
    return clamp_confidence(100.0 * score)


def clamp_confidence(value: float) -> float:
    """``value`` clipped to the 0-100 scale."""
    return min(max(value, 0.0), 100.0)
