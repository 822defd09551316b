"""Write-behind adapters for the embedded runner: one DuckDB transaction per drain, not per message.

Invariant (what makes batching safe): the pipeline's decisions are still taken message by
message against an in-memory compare-and-set state, so every pitcher-game is finalized exactly
once; only the durable writes are deferred. At :meth:`flush` the prediction rows are merged
FIRST and the aggregation state SECOND, so a crash in between leaves state that is older than
the rows (the next run with the same run id recomputes identical keys and the merge writes
nothing new), never state that says "written" for a row that is not. One process owns a DuckDB
file at a time (DuckDB's own lock), so no other writer can race the deferred state.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd

from strikeouts.pipeline.errors import StateConflict
from strikeouts.pipeline.messages import PitcherGameKey
from strikeouts.pipeline.payloads import AggregationState
from strikeouts.pipeline.ports import PredictionSink, StateMark, Versioned
from strikeouts.runtime.state_store import TABLE, DuckDBStateStore

RowKey = tuple[str, str, int, str]
STATE_COLUMNS = (
    "run_id",
    "game_id",
    "pitcher_id",
    "version",
    "deadline",
    "finalized",
    "written",
    "state_json",
    "updated_at",
)


class BufferedPredictionSink:
    """A PredictionSink that keeps rows by key and merges them in one statement on flush.

    Rows re-offered by a replay (:meth:`restore`) are merged after the others, so the rows the
    second merge finds new are exactly those the destination had lost: ``restored``.
    """

    def __init__(self, inner: PredictionSink) -> None:
        self.inner = inner
        self._rows: dict[RowKey, Mapping[str, Any]] = {}
        self._restores: dict[RowKey, Mapping[str, Any]] = {}
        self.flushed = 0
        """Rows the flushes found new in the table (restored ones included)."""
        self.restored = 0
        """Rows of already written pitcher-games that the destination lacked."""
        self.offered = 0
        """Distinct rows the flushes offered to the table (new or already there)."""

    def write(self, rows: Sequence[Mapping[str, Any]]) -> int:
        """Buffer the rows whose key is new to the buffer; returns how many were."""
        return _buffer(self._rows, rows)

    def restore(self, rows: Sequence[Mapping[str, Any]]) -> int:
        """Buffer rows a replay re-offers; returns how many keys were new to the buffer."""
        return _buffer(self._restores, rows)

    @property
    def pending(self) -> int:
        """Rows buffered and not yet flushed."""
        return len(self._rows) + len(self._restores)

    def flush(self) -> int:
        """Merge the buffered rows, then the restores; returns how many were new there."""
        restores = [r for k, r in self._restores.items() if k not in self._rows]
        written = self.inner.write(list(self._rows.values())) if self._rows else 0
        restored = self.inner.write(restores) if restores else 0
        self.offered += len(self._rows) + len(restores)
        self._rows.clear()
        self._restores.clear()
        self.flushed += written + restored
        self.restored += restored
        return written + restored


def _buffer(buffer: dict[RowKey, Mapping[str, Any]], rows: Sequence[Mapping[str, Any]]) -> int:
    new = 0
    for row in rows:
        key = (
            str(row["run_id"]),
            str(row["game_id"]),
            int(row["pitcher_id"]),
            str(row["system_id"]),
        )
        if key not in buffer:
            buffer[key] = row
            new += 1
    return new


@dataclass
class _Entry:
    version: int
    state: AggregationState
    deadline: datetime
    finalized: bool
    written: bool
    updated_at: datetime
    dirty: bool


class WriteBehindStateStore:
    """An AggregationStateStore holding state in memory over a DuckDBStateStore, saved on flush."""

    def __init__(self, inner: DuckDBStateStore) -> None:
        self.inner = inner
        self._entries: dict[PitcherGameKey, _Entry | None] = {}
        self._complete_runs: set[str] = set()

    def preload(self, run_ids: Iterable[str]) -> int:
        """Read every stored state of ``run_ids`` at once; returns how many there were."""
        runs = sorted(set(run_ids) - self._complete_runs)
        if not runs:
            return 0
        found = self._read("list_contains(?, run_id)", [runs])
        self._entries.update(found)
        self._complete_runs.update(runs)
        return len(found)

    def _read(self, where: str, params: list[Any]) -> dict[PitcherGameKey, _Entry | None]:
        cols = ", ".join(STATE_COLUMNS)
        rows = self.inner.con.execute(f'SELECT {cols} FROM "{TABLE}" WHERE {where}', params)
        return {
            PitcherGameKey(str(r[0]), str(r[1]), int(r[2])): _Entry(
                int(r[3]), json.loads(r[7]), r[4], bool(r[5]), bool(r[6]), r[8], dirty=False
            )
            for r in rows.fetchall()
        }

    def _entry(self, key: PitcherGameKey) -> _Entry | None:
        if key not in self._entries and key.run_id not in self._complete_runs:
            found = self._read(
                "run_id = ? AND game_id = ? AND pitcher_id = ?",
                [key.run_id, key.game_id, key.pitcher_id],
            )
            self._entries[key] = found.get(key)
        return self._entries.get(key)

    def load(self, key: PitcherGameKey) -> Versioned | None:
        entry = self._entry(key)
        return None if entry is None else Versioned(entry.version, entry.state.copy())

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
        entry = self._entry(key)
        if expected_version is None and entry is not None:
            raise StateConflict(f"state {key} already exists")
        if expected_version is not None and (entry is None or entry.version != expected_version):
            raise StateConflict(f"state {key} is no longer at version {expected_version}")
        version = 1 if entry is None else entry.version + 1
        self._entries[key] = _Entry(version, state, deadline, finalized, written, now, dirty=True)
        return version

    def due(self, now: datetime) -> list[PitcherGameKey]:
        stored = [k for k in self.inner.due(now) if k not in self._entries]
        held = [
            key
            for key, e in self._entries.items()
            if e is not None
            and ((not e.finalized and e.deadline <= now) or (e.finalized and not e.written))
        ]
        return sorted({*stored, *held})

    def marks(self) -> list[StateMark]:
        """The completion marks of the stored states, those held in memory as they are now."""
        stored = [m for m in self.inner.marks() if m.key not in self._entries]
        held = [
            StateMark.of(key, e.state, e.written)
            for key, e in self._entries.items()
            if e is not None
        ]
        return [*stored, *held]

    @property
    def dirty(self) -> int:
        """States changed in memory and not yet flushed."""
        return sum(1 for e in self._entries.values() if e is not None and e.dirty)

    def flush(self) -> int:
        """Save every changed state in one transaction; returns how many."""
        changed = [(k, e) for k, e in self._entries.items() if e is not None and e.dirty]
        if not changed:
            return 0
        frame = pd.DataFrame(
            [
                (
                    k.run_id,
                    k.game_id,
                    k.pitcher_id,
                    e.version,
                    e.deadline,
                    e.finalized,
                    e.written,
                    json.dumps(e.state, sort_keys=True, allow_nan=False),
                    e.updated_at,
                )
                for k, e in changed
            ],
            columns=list(STATE_COLUMNS),
        )
        con = self.inner.con
        con.execute("BEGIN TRANSACTION")
        try:
            con.register("_state_rows", frame)
            con.execute(
                f'DELETE FROM "{TABLE}" WHERE (run_id, game_id, pitcher_id) IN '
                "(SELECT run_id, game_id, pitcher_id FROM _state_rows)"
            )
            cols = ", ".join(STATE_COLUMNS)
            con.execute(f'INSERT INTO "{TABLE}" ({cols}) SELECT {cols} FROM _state_rows')
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        finally:
            con.unregister("_state_rows")
        for _, e in changed:
            e.dirty = False
        return len(changed)
