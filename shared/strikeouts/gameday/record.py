"""What the game day keeps for an operator: every fetch (ok or failed) and every rejected item.

Invariant: a source problem is never only a log line. A failed fetch is a ``source_fetches``
row with the redacted URL and the error; an item that could not be used is a
``rejected_rows`` row with the URL, its index, the field, the value, the reason and its raw
JSON. Both tables are merged on their keys, so recording twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import pandas as pd

from strikeouts.data.rejections import Rejections
from strikeouts.sources.http import SourceError
from strikeouts.sources.ports import Problem
from strikeouts.warehouse.base import Warehouse

FETCHES = "source_fetches"
REJECTED = "rejected_rows"


def record_problems(
    warehouse: Warehouse, problems: Iterable[Problem], target_table: str, now: dt.datetime
) -> int:
    """Merge every problem into ``rejected_rows``; returns how many were new."""
    rejections = Rejections()
    for p in problems:
        rejections.add(p.source_url, p.index, p.field, p.value, p.reason, p.raw, target_table)
    if not len(rejections):
        return 0
    return warehouse.merge(REJECTED, rejections.frame(now))


def record_fetch(
    warehouse: Warehouse,
    *,
    source: str,
    purpose: str,
    day: dt.date,
    now: dt.datetime,
    error: SourceError | None = None,
    items: int | None = None,
    rejected: int | None = None,
    requests_remaining: str | None = None,
) -> None:
    """One ``source_fetches`` row: ``failed`` with the error, or ``ok`` with the counts."""
    row = {
        "source": error.source if error else source,
        "purpose": purpose,
        "game_date": day,
        "fetched_at": pd.Timestamp(now),
        "status": "failed" if error else "ok",
        "url": error.url if error else None,
        "error": error.detail if error else None,
        "items": items,
        "rejected": rejected,
        "requests_remaining": requests_remaining,
    }
    warehouse.merge(FETCHES, pd.DataFrame([row]))
