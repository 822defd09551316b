"""Compare-and-set over any aggregation state store: the one way the ensemble changes state.

Every write names the version it read; a stale write raises StateConflict and the caller
re-reads and retries (bounded). Stores implement :class:`AggregationStateStore`: the
embedded one is ``strikeouts.runtime.state_store``, the cloud one ``strikeouts.cloud.gcs_state``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import cast

from strikeouts.pipeline.errors import StateConflict
from strikeouts.pipeline.messages import PitcherGameKey
from strikeouts.pipeline.payloads import AggregationState
from strikeouts.pipeline.ports import AggregationStateStore, Versioned

Mutation = Callable[[AggregationState | None], AggregationState | None]
"""Returns the new state, or None when the state needs no change."""


# ``start`` of compare_and_set: read the state first (the default)
READ_FIRST = "read"


def update(
    store: AggregationStateStore,
    key: PitcherGameKey,
    mutate: Mutation,
    *,
    deadline_of: Callable[[AggregationState], datetime],
    now: datetime,
    attempts: int,
) -> tuple[AggregationState | None, bool]:
    """Apply ``mutate`` with compare-and-set, re-reading on conflict; returns (state, changed).

    ``mutate`` must be a pure function of the state it is given (it may run several times).
    It may rebind the state's keys and the entries of its dicts and lists, never change
    anything deeper in place: two levels are copied for it, so the stored version stays as it
    was (a full deep copy of every state, on every attempt, was a tenth of a replay).
    After ``attempts`` lost races the last StateConflict propagates (a transient error).
    """
    stored, changed = compare_and_set(
        store, key, mutate, deadline_of=deadline_of, now=now, attempts=attempts
    )
    return (None if stored is None else stored.state), changed


def compare_and_set(
    store: AggregationStateStore,
    key: PitcherGameKey,
    mutate: Mutation,
    *,
    deadline_of: Callable[[AggregationState], datetime],
    now: datetime,
    attempts: int,
    start: Versioned | str | None = READ_FIRST,
) -> tuple[Versioned | None, bool]:
    """:func:`update` returning the stored state with its version; ``start`` may skip a read.

    ``start`` is the state the first attempt assumes instead of reading it: a version this
    caller saved itself, or None for "absent" (a create-only write). A wrong guess only
    costs a conflict and a re-read: the write is still conditional on the version.
    """
    conflict: StateConflict | None = None
    guess = start
    # a guess is one extra try: a wrong one must not use up the attempts of real races
    for _ in range(attempts + (0 if start == READ_FIRST else 1)):
        guessed = guess != READ_FIRST
        current = guess if guessed else store.load(key)
        guess = READ_FIRST
        assert current is None or isinstance(current, Versioned)
        before = None if current is None else current.state
        after = mutate(None if before is None else _two_levels(before))
        if after is None:
            if guessed:
                continue  # an unchanged guess proves nothing: a read decides
            return current, False
        try:
            version = store.save(
                key,
                after,
                expected_version=None if current is None else current.version,
                deadline=deadline_of(after),
                finalized=after.get("outcome") is not None,
                written=bool(after.get("written")),
                now=now,
            )
        except StateConflict as exc:
            conflict = exc
            continue
        return Versioned(version, after), True
    assert conflict is not None
    raise conflict


def _two_levels(state: AggregationState) -> AggregationState:
    """``state`` with its top-level dicts and lists copied (their contents shared)."""
    copied = {
        k: dict(v) if isinstance(v, dict) else list(v) if isinstance(v, list) else v
        for k, v in state.items()
    }
    return cast(AggregationState, copied)
