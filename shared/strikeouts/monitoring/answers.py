"""What counts as an answer: a row that stands behind a prediction, or a deliberate skip.

Invariant: health counts answers, not rows. A row is an answer when its status is ``ok`` or
``skip`` (a hard red flag is a decision), or ``fallback`` with a prediction (the ensemble
combined what arrived); an ``error`` row, and an ensemble fallback with no prediction, are as
absent as no row at all. ``ANSWERED_SQL`` is that rule for a predictions row; the view
``graded_predictions`` exposes it as its ``answered`` column with the same text (a test holds
them equal), and the deploy checks and the canary read raw rows through this constant.
"""

from __future__ import annotations

ANSWERED_SQL = (
    "(status IN ('ok', 'skip') OR (status = 'fallback' AND predicted_strikeouts IS NOT NULL))"
)
REASON_SQL = "COALESCE(status_reason, fallback_reason)"
"""Why a row did not answer: the error of a system row, the fallback reason of an ensemble row."""
