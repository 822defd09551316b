"""Durable per-pitcher-game aggregation state with compare-and-set writes.

Every write names the version it read; a stale write raises StateConflict and the caller
re-reads and retries (bounded). Creation is "only if absent" (version 0 ↔ GCS
``if_generation_match=0``). The embedded store is a DuckDB table whose schema is
``schemas/bigquery/aggregation_state.json``; a GCS adapter can mirror it object-for-object.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from strikeouts.pipeline.errors import StateConflict
from strikeouts.pipeline.messages import PitcherGameKey
from strikeouts.pipeline.ports import AggregationStateStore, Versioned
from strikeouts.warehouse.schemas import load_schema

TABLE = "aggregation_state"

# Returns the new state, or None when the state needs no change.
Mutation = Callable[[dict[str, Any] | None], dict[str, Any] | None]


class DuckDBStateStore:
    """:class:`AggregationStateStore` on a DuckDB table (its own file or a shared connection)."""

    def __init__(self, target: str | Path | duckdb.DuckDBPyConnection = ":memory:") -> None:
        if isinstance(target, duckdb.DuckDBPyConnection):
            self.con = target
        else:
            if str(target) != ":memory:":
                Path(target).parent.mkdir(parents=True, exist_ok=True)
            self.con = duckdb.connect(str(target))
        self.con.execute(load_schema(TABLE).duckdb_ddl())
        self.con.execute(
            f'CREATE UNIQUE INDEX IF NOT EXISTS "{TABLE}_key" ON "{TABLE}" (run_id, game_id, pitcher_id)'
        )

    def load(self, key: PitcherGameKey) -> Versioned | None:
        row = self.con.execute(
            f'SELECT version, state_json FROM "{TABLE}" '
            "WHERE run_id = ? AND game_id = ? AND pitcher_id = ?",
            [key.run_id, key.game_id, key.pitcher_id],
        ).fetchone()
        return None if row is None else Versioned(int(row[0]), json.loads(row[1]))

    def save(
        self,
        key: PitcherGameKey,
        state: Mapping[str, Any],
        *,
        expected_version: int | None,
        deadline: datetime,
        finalized: bool,
        written: bool,
        now: datetime,
    ) -> int:
        blob = json.dumps(state, sort_keys=True, allow_nan=False)
        if expected_version is None:
            try:
                self.con.execute(
                    f'INSERT INTO "{TABLE}" VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?)',
                    [
                        key.run_id,
                        key.game_id,
                        key.pitcher_id,
                        deadline,
                        finalized,
                        written,
                        blob,
                        now,
                    ],
                )
            except duckdb.ConstraintException:
                raise StateConflict(f"state {key} already exists") from None
            return 1
        row = self.con.execute(
            f'UPDATE "{TABLE}" SET version = version + 1, deadline = ?, finalized = ?, '
            "written = ?, state_json = ?, updated_at = ? "
            "WHERE run_id = ? AND game_id = ? AND pitcher_id = ? AND version = ? "
            "RETURNING version",
            [
                deadline,
                finalized,
                written,
                blob,
                now,
                key.run_id,
                key.game_id,
                key.pitcher_id,
                expected_version,
            ],
        ).fetchone()
        if row is None:
            raise StateConflict(f"state {key} is no longer at version {expected_version}")
        return int(row[0])

    def due(self, now: datetime) -> list[PitcherGameKey]:
        rows = self.con.execute(
            f'SELECT run_id, game_id, pitcher_id FROM "{TABLE}" '
            "WHERE (NOT finalized AND deadline <= ?) OR (finalized AND NOT written) "
            "ORDER BY run_id, game_id, pitcher_id",
            [now],
        ).fetchall()
        return [PitcherGameKey(str(r[0]), str(r[1]), int(r[2])) for r in rows]

    def versions(self) -> dict[PitcherGameKey, int]:
        """Every stored key with its version (for inspection and tests)."""
        rows = self.con.execute(f'SELECT run_id, game_id, pitcher_id, version FROM "{TABLE}"')
        return {PitcherGameKey(str(r[0]), str(r[1]), int(r[2])): int(r[3]) for r in rows.fetchall()}


# ``start`` of compare_and_set: read the state first (the default)
READ_FIRST = "read"


def update(
    store: AggregationStateStore,
    key: PitcherGameKey,
    mutate: Mutation,
    *,
    deadline_of: Callable[[Mapping[str, Any]], datetime],
    now: datetime,
    attempts: int,
) -> tuple[dict[str, Any] | None, bool]:
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
    deadline_of: Callable[[Mapping[str, Any]], datetime],
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


def _two_levels(state: Mapping[str, Any]) -> dict[str, Any]:
    """``state`` with its top-level dicts and lists copied (their contents shared)."""
    return {
        k: dict(v) if isinstance(v, dict) else list(v) if isinstance(v, list) else v
        for k, v in state.items()
    }
