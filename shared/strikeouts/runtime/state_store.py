"""The embedded aggregation state store: one transactional DuckDB table, compare-and-set by version.

Invariant: a save names the version it read and fails with StateConflict when the row moved
on; creation is "only if absent" (version 0 ↔ GCS ``if_generation_match=0``). The table's
schema is ``schemas/bigquery/aggregation_state.json``; the Cloud Storage adapter mirrors it
object-for-object.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from strikeouts.pipeline.errors import StateConflict
from strikeouts.pipeline.messages import PitcherGameKey
from strikeouts.pipeline.ports import StateMark, Versioned
from strikeouts.warehouse.schemas import load_schema

TABLE = "aggregation_state"


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

    def marks(self) -> list[StateMark]:
        """The completion mark of every stored state (read from its header)."""
        rows = self.con.execute(
            "SELECT run_id, game_id, pitcher_id, "
            "json_extract_string(state_json, '$.header.game_date'), "
            "TRY_CAST(json_extract(state_json, '$.header.run_pitcher_games') AS INTEGER), "
            f'written FROM "{TABLE}"'
        ).fetchall()
        return [
            StateMark(
                PitcherGameKey(str(r[0]), str(r[1]), int(r[2])),
                str(r[3]),
                None if r[4] is None else int(r[4]),
                bool(r[5]),
            )
            for r in rows
        ]

    def versions(self) -> dict[PitcherGameKey, int]:
        """Every stored key with its version (for inspection and tests)."""
        rows = self.con.execute(f'SELECT run_id, game_id, pitcher_id, version FROM "{TABLE}"')
        return {PitcherGameKey(str(r[0]), str(r[1]), int(r[2])): int(r[3]) for r in rows.fetchall()}
