"""What counts as an answer: a row that stands behind a prediction, or a deliberate skip.

Invariant: health counts answers, not rows. A row is an answer when its status is ``ok`` or
``skip`` (a hard red flag is a decision), or ``fallback`` with a prediction (the ensemble
combined what arrived); an ``error`` row, and an ensemble fallback with no prediction, are as
absent as no row at all. ``ANSWERED_SQL`` is that rule for a predictions row; the view
``graded_predictions`` exposes it as its ``answered`` column with the same text (a test holds
them equal), and the deploy checks and the canary read raw rows through this constant.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

ANSWERED_SQL = (
    "(status IN ('ok', 'skip') OR (status = 'fallback' AND predicted_strikeouts IS NOT NULL))"
)
REASON_SQL = "COALESCE(status_reason, fallback_reason)"
"""Why a row did not answer: the error of a system row, the fallback reason of an ensemble row."""

BREAKER_OPEN = "circuit open"
"""How an open breaker's error begins: it says only that earlier calls failed."""


def first_reason(reasons: Iterable[object]) -> str:
    """The first reason that says why (an open breaker's only repeats that calls failed)."""
    given = [str(r) for r in reasons if isinstance(r, str) and r]
    telling = [r for r in given if not r.startswith(BREAKER_OPEN)]
    return (telling or given or ["no reason given"])[0]


def unanswered(rows: pd.DataFrame, limit: int = 300) -> dict[str, str]:
    """System → ``N of M rows unanswered (first reason)`` for each system of ``rows`` (columns
    ``system_id``, ``answered``, ``reason``, in the order written) that left rows unanswered."""
    found = {}
    for system, group in rows.groupby("system_id", sort=True):
        failed = group[~group["answered"].astype(bool)]
        if not failed.empty:
            reason = first_reason(failed["reason"])[:limit]
            found[str(system)] = f"{len(failed)} of {len(group)} rows unanswered ({reason})"
    return found
