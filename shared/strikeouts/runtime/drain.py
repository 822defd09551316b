"""How the embedded runner drains the in-process bus: its clock, its collector setting, and
what each drain published and rejected.

Invariant: a drain is synchronous, so once the bus is empty nothing more can arrive; the
clock may then be moved to the latest deadline (never backwards) to finalize what is open.
"""

from __future__ import annotations

import datetime as dt
import gc
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

from strikeouts.names import PITCHER_GAMES
from strikeouts.pipeline.clock import Clock, SystemClock
from strikeouts.pipeline.embedded import EmbeddedPipeline

_GC_YOUNG_THRESHOLD = 100_000  # allocations between young collections during a run (default 700)


class DrainClock:
    """Wall-clock time that can be moved forward to a floor (the latest deadline after a drain)."""

    def __init__(self, base: Clock | None = None) -> None:
        self.base = base or SystemClock()
        self.floor: dt.datetime | None = None

    def now(self) -> dt.datetime:
        now = self.base.now()
        return now if self.floor is None or now >= self.floor else self.floor


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Run the cyclic garbage collector rarely while a run drains, then as before.

    A drain allocates millions of short-lived JSON dicts that reference counting frees; at the
    default threshold (700) each young collection still walks the live heap (features, states,
    rows) and took ~15% of a season replay. Cycles are still collected, just less often.
    """
    before = gc.get_threshold()
    gc.set_threshold(_GC_YOUNG_THRESHOLD, *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


def outcomes(pipeline: EmbeddedPipeline) -> Counter[str]:
    """Pitcher-games published and rejections since the last call (the logs are then cleared)."""
    bus = pipeline.bus
    counts: Counter[str] = Counter()
    counts["pitcher_games"] = sum(1 for e in bus.published if e.topic == PITCHER_GAMES)
    counts["rejected"] = sum(1 for h in bus.history if h.outcome == "rejected")
    # the in-process logs are for inspection; a season replay must not keep every payload
    bus.published.clear()
    bus.history.clear()
    return counts


def span(first: dt.date, last: dt.date) -> str:
    return str(first) if first == last else f"{first}..{last}"
