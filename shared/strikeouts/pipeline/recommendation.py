"""The bet recommendation against the line, shared by every system and the ensemble.

edge = predicted − line. OVER needs edge ≥ threshold and, when known, p_over > 0.5; UNDER
needs edge ≤ −threshold and, when known, p_over < 0.5; either needs, when known, a confidence
of at least the minimum; otherwise PASS; NO_LINE without a line. A count and a probability are
each used as what they are, never one for the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Recommendation = Literal["OVER", "UNDER", "PASS", "NO_LINE"]


@dataclass(frozen=True)
class Call:
    """A recommendation and the edge behind it (None without a line or prediction)."""

    recommendation: Recommendation | None
    edge: float | None


def recommend(
    predicted: float | None,
    p_over: float | None,
    line: float | None,
    threshold: float,
    confidence: float | None = None,
    min_confidence: float = 0.0,
) -> Call:
    """The call for one prediction; None when there is no prediction at all."""
    if line is None:
        return Call("NO_LINE" if predicted is not None else None, None)
    if predicted is None:
        return Call(None, None)
    edge = predicted - line
    if confidence is not None and confidence < min_confidence:
        return Call("PASS", edge)
    if edge >= threshold and (p_over is None or p_over > 0.5):
        return Call("OVER", edge)
    if edge <= -threshold and (p_over is None or p_over < 0.5):
        return Call("UNDER", edge)
    return Call("PASS", edge)
