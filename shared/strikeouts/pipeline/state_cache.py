"""A per-instance cache in front of an aggregation state store: reads of what we just wrote
are served from memory, every write still goes to the store and is still conditional.

Invariant: an entry is always a (version, state) pair the inner store really held at some
moment (read from it, or written to it by a successful compare-and-set). It may be stale —
another instance may have written since — but it is never invented, never a half-applied
mutation, and never "absent". Why a stale entry is safe (checked against every mutation of
``pipeline.handlers.ensemble``):

- Writes: every ``save`` names the version it read, so a write based on a stale entry gets a
  StateConflict (GCS HTTP 412). The entry is then dropped, and ``compare_and_set``'s retry
  re-reads the truth from the inner store: a stale read costs one conflict and one read.
- Decisions *not* to write (the mutation returns None) hold on a stale copy, because the
  state only moves forward: nothing deletes a state (bar the bucket's 90-day lifecycle rule,
  far beyond any delivery), ``results`` and ``late`` only gain systems and a system never
  moves between them, ``outcome`` is set once (and ``results`` is frozen from then on:
  later results go to ``late``), ``written`` goes False → True once. Per mutation:
  ``register`` skips iff the state exists; ``record`` iff the system is already in
  results/late; ``mark_written`` iff written is set — all true of the truth if true of an
  older copy. ``decide`` skips iff the outcome is set (monotone), or the copy is incomplete
  and not forced past its deadline: the truth may be complete by now, but the write that
  completes ``results`` decides the outcome in the same write (``record`` calls
  ``_decide``), so there is nothing left to decide; the deadline comes from the header,
  fixed at creation.
- Where the claim stops: after a no-write the handler acts on the copy it read, and one such
  follow-up is not monotone — "write the rows of an outcome another instance decided but
  never wrote (it crashed)". A stale copy says "undecided", so the repair is skipped where an
  uncached read would have done it. Exactly-once is untouched (rows are idempotent, state
  writes conditional); only liveness is at stake. A duplicate result delivery may thus leave
  the repair to the tick, and the tick must not miss it (a stale "undecided, deadline not
  passed" copy would skip it on every tick until the deadline): :meth:`CachedStateStore.due`
  drops the entries of the keys it returns, so the tick's finalize reads them from the store.

Entries are stored as JSON text, so the dict a caller gets from ``load`` is its own (callers
mutate it) and a mutation that then fails to save cannot reach the cache.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from strikeouts.pipeline.messages import PitcherGameKey
from strikeouts.pipeline.payloads import AggregationState
from strikeouts.pipeline.ports import (
    AggregationStateStore,
    MarkedStateStore,
    StateMark,
    Versioned,
)

# a state is ~3 KB of JSON (header + one message per system): ~12 MB when full
DEFAULT_CAPACITY = 4096


@dataclass(frozen=True)
class _Entry:
    version: int
    text: str


def _encode(state: Mapping[str, Any]) -> str:
    # the stores' own serialization: a cached state equals what the store would return
    return json.dumps(state, sort_keys=True, allow_nan=False)


class CachedStateStore:
    """:class:`AggregationStateStore` remembering the last version of each key it read or wrote.

    A bounded LRU of ``capacity`` keys, safe to share between request threads. Store I/O runs
    outside the lock; the lock only guards the dictionary.
    """

    def __init__(self, inner: AggregationStateStore, capacity: int = DEFAULT_CAPACITY) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be >= 1, got {capacity}")
        self.inner = inner
        self.capacity = capacity
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[PitcherGameKey, _Entry] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def load(self, key: PitcherGameKey) -> Versioned | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
                self.hits += 1
            else:
                self.misses += 1
        if entry is not None:
            return Versioned(entry.version, json.loads(entry.text))
        loaded = self.inner.load(key)
        if loaded is not None:  # absence is not cached: a create may come from anywhere
            # the caller gets the inner store's fresh dict; the cache keeps its own text
            self._remember(key, loaded.version, _encode(loaded.state))
        return loaded

    def save(
        self,
        key: PitcherGameKey,
        state: AggregationState,
        *,
        expected_version: int | None,
        deadline: datetime,
        finalized: bool,
        written: bool,
        now: datetime,
    ) -> int:
        # encoded before the write: the caller keeps (and may mutate) ``state`` afterwards
        text = _encode(state)
        try:
            version = self.inner.save(
                key,
                state,
                expected_version=expected_version,
                deadline=deadline,
                finalized=finalized,
                written=written,
                now=now,
            )
        except BaseException:
            # a conflict proves the entry stale; any other failure leaves the truth unknown
            # (a lost response may hide a write that happened): the next load asks the store
            self.forget(key)
            raise
        self._remember(key, version, text)
        return version

    def due(self, now: datetime) -> list[PitcherGameKey]:
        keys = self.inner.due(now)
        # the tick finalizes or repairs these: it must see the truth, not this instance's copy
        for key in keys:
            self.forget(key)
        return keys

    def marks(self) -> list[StateMark]:
        """The inner store's marks (none where it keeps none); the written keys' entries are
        dropped, so the completion reads those states from the store, not from a stale copy."""
        if not isinstance(self.inner, MarkedStateStore):
            return []
        marks = self.inner.marks()
        for mark in marks:
            if mark.written:
                self.forget(mark.key)
        return marks

    def versions(self) -> dict[PitcherGameKey, int]:
        """The inner store's keys and versions (where it offers them; for inspection and tests)."""
        versions = getattr(self.inner, "versions", None)
        if versions is None:
            raise AttributeError(f"{type(self.inner).__name__} does not list versions")
        return dict(versions())

    def forget(self, key: PitcherGameKey) -> None:
        """Drop ``key``'s entry: its next load reads the inner store."""
        with self._lock:
            self._entries.pop(key, None)

    def _remember(self, key: PitcherGameKey, version: int, text: str) -> None:
        with self._lock:
            current = self._entries.get(key)
            # both stores' versions grow with every write to a key (DuckDB +1, GCS generation):
            # a slower thread must not put back an older version (it would only cost a conflict)
            if current is not None and current.version > version:
                return
            self._entries[key] = _Entry(version, text)
            self._entries.move_to_end(key)
            while len(self._entries) > self.capacity:
                self._entries.popitem(last=False)
