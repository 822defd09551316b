"""ensemble_v1: a weighted average of the systems that actually answered.

Invariants (each a defect of the replaced system that must not return):
- weights are renormalized over the systems present, so one missing system never biases
  the prediction low; when the configured pick (``pick_system``) answered, its law is the
  ensemble's (weight 1, the others 0), the weights serving only without it;
- the ensemble's count law is the weighted mixture of its members' laws (each member's mean
  and dispersion): its mean is the weighted mean, its median and ``p_over`` are the
  mixture's, so all three come from one distribution; a member that does not state its
  dispersion (an older message) makes the ensemble fall back to weighting the ``p_over`` of
  those that have one and to no median;
- confidence stays on the one 0-100 scale and means the same as a system's: the chance the
  favoured side of the ensemble's own ``p_over`` wins, shrunk by the weighted coverage, and
  its conviction scaled once by the red flags of that side, the agreement factor and, with a
  single system, ``single_system_factor`` (see :mod:`strikeouts.pipeline.assessment`);
- the row says which systems contributed, which were missing and why it fell back, how well
  they agreed, and each component's prediction and confidence.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from strikeouts.countlaw import Component, mixture_median, mixture_p_over
from strikeouts.pipeline.assessment import base_confidence, favoured_side, scaled
from strikeouts.pipeline.config import PipelineConfig
from strikeouts.pipeline.recommendation import Call, recommend

NO_SYSTEM_REPORTED = "no system reported"


@dataclass(frozen=True)
class EnsembleOutcome:
    """The combined prediction for one pitcher-game."""

    status: str
    predicted_strikeouts: float | None
    p_over: float | None
    confidence: float | None
    call: Call
    contributing: tuple[str, ...]
    missing: tuple[str, ...]
    fallback_reason: str | None
    weights: dict[str, float] = field(default_factory=dict)
    red_flags: tuple[str, ...] = ()
    status_reason: str | None = None
    base_confidence: float | None = None
    multiplier: float | None = None
    agreement: str = "none"
    """strong / moderate / disagree by the spread of the counts; single; none."""
    agreement_note: str | None = None
    components: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Each system's status, prediction, p_over and confidence."""
    predicted_median: float | None = None
    """The median of the mixture of the members' count laws."""


def base_weights(systems: Sequence[str], config: PipelineConfig) -> dict[str, float]:
    """Configured base weight of each system (``default_weight`` for an unlisted one)."""
    return {s: config.base_weights.get(s, config.default_weight) for s in systems}


def renormalize(weights: Mapping[str, float], present: Sequence[str]) -> dict[str, float]:
    """The weights of ``present`` scaled to sum to 1."""
    total = sum(weights[s] for s in present)
    if total <= 0:
        raise ValueError(f"weights of {list(present)} sum to {total}; cannot renormalize")
    return {s: weights[s] / total for s in present}


def member_weights(
    weights: Mapping[str, float], present: Sequence[str], config: PipelineConfig
) -> dict[str, float]:
    """The share of each present system in the ensemble's law: the configured pick alone
    when it is present, else ``weights`` renormalized over the present systems."""
    if config.pick_system in present:
        return {s: 1.0 if s == config.pick_system else 0.0 for s in present}
    return renormalize(weights, present)


def adaptive_weights(
    base: Mapping[str, float],
    trailing: Mapping[str, tuple[float, int]],
    blend: float,
    min_samples: int,
) -> dict[str, float]:
    """Base weights blended with inverse trailing MAE; the base alone unless every system qualifies.

    Every system of ``base`` needs at least ``min_samples`` graded predictions and a positive
    MAE, otherwise the comparison would favour whoever has the least (or luckiest) history.
    """
    systems = list(base)
    usable = all(
        s in trailing and trailing[s][1] >= min_samples and trailing[s][0] > 0 for s in systems
    )
    if not systems or not usable or blend == 0:
        return dict(base)
    base_norm = renormalize(base, systems)
    inverse = {s: 1.0 / trailing[s][0] for s in systems}
    inverse_norm = renormalize(inverse, systems)
    return {s: (1 - blend) * base_norm[s] + blend * inverse_norm[s] for s in systems}


def _weighted(values: Mapping[str, float], weights: Mapping[str, float]) -> float | None:
    present = [s for s in values if weights.get(s, 0.0) > 0.0]
    if not present:
        return None
    norm = renormalize(weights, present)
    return sum(norm[s] * values[s] for s in present)


def _why_missing(system: str, results: Mapping[str, Mapping[str, Any]]) -> str:
    result = results.get(system)
    if result is None:
        return f"{system}: no result"
    return f"{system}: {result['status']} ({result.get('reason') or 'no reason given'})"


def combine(
    results: Mapping[str, Mapping[str, Any]],
    expected: Sequence[str],
    line: float | None,
    config: PipelineConfig,
    weights: Mapping[str, float] | None = None,
) -> EnsembleOutcome:
    """Combine system-prediction messages (by system id) for one pitcher-game."""
    ok = {
        s: r
        for s, r in sorted(results.items())
        if r["status"] == "ok" and r.get("predicted_strikeouts") is not None
    }
    members = sorted(set(expected) | set(results))
    missing = tuple(s for s in members if s not in ok)
    flags = tuple(sorted({f for r in results.values() for f in r.get("red_flags", ())}))
    if not ok:
        return _empty(results, missing, flags)
    all_weights = dict(weights) if weights is not None else base_weights(members, config)
    for s in ok:
        all_weights.setdefault(s, config.default_weight)
    norm = member_weights(all_weights, list(ok), config)
    predicted = sum(norm[s] * float(ok[s]["predicted_strikeouts"]) for s in ok)
    laws = _laws(ok, norm)
    if laws is None:
        median = None
        p_over = _weighted(
            {s: float(r["p_over"]) for s, r in ok.items() if r.get("p_over") is not None}, norm
        )
    else:
        median = mixture_median(laws)
        p_over = mixture_p_over(laws, line)
    coverage = _weighted(
        {
            s: float(r["feature_coverage"])
            for s, r in ok.items()
            if r.get("feature_coverage") is not None
        },
        norm,
    )
    agreement, factor = agreement_of(ok, config)
    base = base_confidence(p_over, 1.0 if coverage is None else coverage)
    multiplier = None
    if base is not None and p_over is not None:
        multiplier = factor * flag_factor(flags, favoured_side(p_over), config)
    confidence = None if multiplier is None else scaled(base, multiplier, config)
    reason = "; ".join(_why_missing(s, results) for s in missing) or None
    return EnsembleOutcome(
        status="fallback" if missing else "ok",
        predicted_strikeouts=predicted,
        predicted_median=median,
        p_over=p_over,
        confidence=confidence,
        call=recommend(
            predicted, p_over, line, config.edge_threshold, confidence, config.min_confidence
        ),
        contributing=tuple(ok),
        missing=missing,
        fallback_reason=reason,
        weights=norm,
        red_flags=flags,
        base_confidence=base,
        multiplier=multiplier,
        agreement=agreement,
        agreement_note=_agreement_note(agreement, ok, missing, results),
        components=components(results),
    )


def _laws(ok: Mapping[str, Mapping[str, Any]], norm: Mapping[str, float]) -> list[Component] | None:
    """(weight, mean, dispersion) of each answering member; None when one lacks its law."""
    laws = []
    for s, r in ok.items():
        if norm[s] <= 0.0:
            continue
        dispersion = r.get("count_dispersion")
        if dispersion is None:
            return None
        laws.append((norm[s], float(r["predicted_strikeouts"]), float(dispersion)))
    return laws


def agreement_of(ok: Mapping[str, Mapping[str, Any]], config: PipelineConfig) -> tuple[str, float]:
    """The agreement level of the answering systems and its conviction factor: strong below
    ``agree_within`` K of spread (× agree_factor), disagree from ``disagree_beyond`` K on (×
    disagree_factor), moderate between (× 1); single (× single_system_factor) alone."""
    if not ok:
        return "none", 1.0
    if len(ok) < 2:
        return "single", config.single_system_factor
    spread = _spread(ok)
    if spread < config.agree_within:
        return "strong", config.agree_factor
    if spread >= config.disagree_beyond:
        return "disagree", config.disagree_factor
    return "moderate", 1.0


def flag_factor(
    flags: Sequence[str], side: Literal["OVER", "UNDER"], config: PipelineConfig
) -> float:
    """The product of the ``side`` factors of the multiplier flags among ``flags``."""
    factor = 1.0
    for name in flags:
        rule = config.red_flags.get(name)
        if rule is not None and rule.action == "multiplier":
            factor *= rule.factor(side)
    return factor


def components(results: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each system's answer as the ensemble row records it."""
    keep = ("status", "predicted_strikeouts", "predicted_median", "p_over", "confidence")
    return {s: {k: r.get(k) for k in keep} for s, r in sorted(results.items())}


def _spread(ok: Mapping[str, Mapping[str, Any]]) -> float:
    values = [float(r["predicted_strikeouts"]) for r in ok.values()]
    return max(values) - min(values)


def _agreement_note(
    agreement: str,
    ok: Mapping[str, Mapping[str, Any]],
    missing: Sequence[str],
    results: Mapping[str, Mapping[str, Any]],
) -> str | None:
    left_out = "; ".join(_why_missing(s, results) for s in missing)
    if agreement == "none":
        return None
    if agreement == "single":
        note = f"only {next(iter(ok))} answered"
    else:
        note = f"spread {_spread(ok):.2f} K over {', '.join(ok)} ({agreement})"
    return f"{note}; left out: {left_out}" if left_out else note


def _empty(
    results: Mapping[str, Mapping[str, Any]], missing: tuple[str, ...], flags: tuple[str, ...]
) -> EnsembleOutcome:
    skips = [r for _, r in sorted(results.items()) if r["status"] == "skip"]
    if skips and len(skips) == len(results):
        return EnsembleOutcome(
            status="skip",
            predicted_strikeouts=None,
            p_over=None,
            confidence=None,
            call=Call(None, None),
            contributing=(),
            missing=missing,
            fallback_reason=None,
            red_flags=flags,
            status_reason=skips[0].get("reason"),
            components=components(results),
        )
    reason = (
        NO_SYSTEM_REPORTED
        if not results
        else "no system succeeded: " + "; ".join(_why_missing(s, results) for s in missing)
    )
    return EnsembleOutcome(
        status="fallback",
        predicted_strikeouts=None,
        p_over=None,
        confidence=None,
        call=Call(None, None),
        contributing=(),
        missing=missing,
        fallback_reason=reason,
        red_flags=flags,
        components=components(results),
    )
