"""Aggregation state: compare-and-set, creation only if absent, bounded retries on conflict."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from strikeouts.pipeline.errors import StateConflict
from strikeouts.pipeline.messages import PitcherGameKey
from strikeouts.pipeline.ports import Versioned
from strikeouts.pipeline.state import compare_and_set, update
from strikeouts.runtime.state_store import DuckDBStateStore

KEY = PitcherGameKey("run-1", "NYY202406010", 600000)
NOW = datetime(2024, 6, 1, 12, tzinfo=UTC)


def save(store: DuckDBStateStore, state: dict[str, Any], expected: int | None) -> int:
    return store.save(
        KEY, state, expected_version=expected, deadline=NOW, finalized=False, written=False, now=NOW
    )


def test_compare_and_set(tmp_path: Path) -> None:
    store = DuckDBStateStore(tmp_path / "state.duckdb")
    assert save(store, {"n": 1}, None) == 1
    with pytest.raises(StateConflict, match="already exists"):
        save(store, {"n": 1}, None)
    assert save(store, {"n": 2}, 1) == 2
    with pytest.raises(StateConflict, match="no longer at version 1"):
        save(store, {"n": 3}, 1)
    loaded = store.load(KEY)
    assert loaded is not None
    assert (loaded.version, loaded.state) == (2, {"n": 2})
    assert store.due(NOW) == [KEY]  # deadline reached, not finalized


def test_update_retries_after_losing_a_race(tmp_path: Path) -> None:
    store = DuckDBStateStore(tmp_path / "state.duckdb")
    save(store, {"n": 0}, None)
    raced = {"done": False}

    def increment(state: dict[str, Any] | None) -> dict[str, Any] | None:
        assert state is not None
        if not raced["done"]:  # a concurrent writer sneaks in between read and write
            raced["done"] = True
            save(store, {"n": state["n"] + 10}, 1)
        return {**state, "n": state["n"] + 1}

    state, changed = update(store, KEY, increment, deadline_of=lambda _: NOW, now=NOW, attempts=3)
    assert changed
    assert state == {"n": 11}  # re-read the winner's state, then applied on top

    def always_lose(state: dict[str, Any] | None) -> dict[str, Any] | None:
        assert state is not None
        loaded = store.load(KEY)
        assert loaded is not None
        save(store, loaded.state, loaded.version)
        return state

    with pytest.raises(StateConflict):
        update(store, KEY, always_lose, deadline_of=lambda _: NOW, now=NOW, attempts=2)


def test_a_guessed_start_skips_the_read_and_a_wrong_guess_falls_back_to_reading(
    tmp_path: Path,
) -> None:
    store = DuckDBStateStore(tmp_path / "state.duckdb")
    reads: list[int] = []
    load = store.load
    store.load = lambda key: reads.append(1) or load(key)  # type: ignore[method-assign]

    def create_once(state: dict[str, Any] | None) -> dict[str, Any] | None:
        return {"n": 0} if state is None else None

    def cas(mutate: Any, start: Versioned | str | None) -> tuple[Versioned | None, bool]:
        return compare_and_set(
            store, KEY, mutate, deadline_of=lambda _: NOW, now=NOW, attempts=1, start=start
        )

    created, changed = cas(create_once, None)
    assert changed and created == Versioned(1, {"n": 0}) and reads == []
    again, changed = cas(create_once, None)  # guessed absent, but it exists: read, no change
    assert not changed and again == Versioned(1, {"n": 0}) and len(reads) == 1

    def increment(state: dict[str, Any] | None) -> dict[str, Any] | None:
        assert state is not None
        return {"n": state["n"] + 1}

    bumped, _ = cas(increment, created)  # the right version: written without a read
    assert bumped == Versioned(2, {"n": 1}) and len(reads) == 1
    stale, _ = cas(increment, created)  # a stale version: conflict, re-read, applied on top
    assert stale == Versioned(3, {"n": 2}) and len(reads) == 2


def test_a_mutation_never_reaches_the_stored_version(tmp_path: Path) -> None:
    """The in-memory store hands out its own dicts: a mutate's change to an entry of a state's
    dict (what the ensemble's `record` does) must not leak into the stored version."""
    from strikeouts.runtime.state_store import DuckDBStateStore
    from strikeouts.runtime.writebehind import WriteBehindStateStore

    store = WriteBehindStateStore(DuckDBStateStore(tmp_path / "s.duckdb"))
    store.save(KEY, {"results": {}, "late": []}, expected_version=None, deadline=NOW,
               finalized=False, written=False, now=NOW)  # fmt: skip

    def peek(state: dict[str, Any] | None) -> dict[str, Any] | None:
        assert state is not None
        state["results"]["v1_baseline"] = {"status": "ok"}
        state["late"].append("x")
        return None  # decides to change nothing after all

    compare_and_set(store, KEY, peek, deadline_of=lambda _: NOW, now=NOW, attempts=2)
    stored = store.load(KEY)
    assert stored is not None and stored.state == {"results": {}, "late": []}
