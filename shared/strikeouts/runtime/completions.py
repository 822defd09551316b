"""The completion ledger of the embedded runner: the warehouse table ``run_completions``.

One row per run and game date (key ``completion_id``), holding the predictions-complete
message as announced, so an operator sees each run's completion where its rows are. Both the
:class:`~strikeouts.pipeline.ports.CompletionLedger` and the
:class:`~strikeouts.pipeline.ports.CompletionPublisher` of the embedded path: with
``buffered`` (the runner) a claim and its "publish" are held in memory and merged by
:meth:`WarehouseCompletions.flush`, which the runner calls after the prediction rows and
before the aggregation state. A crash before that flush leaves neither the row nor a state
that says written, so the next run of the run id announces it; a crash after it leaves the
row, so nothing is announced twice.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

import pandas as pd

from strikeouts.pipeline.clock import from_iso
from strikeouts.pipeline.ports import CompletionRecord
from strikeouts.warehouse.base import Warehouse

COMPLETIONS = "run_completions"
COLUMNS = ("pitcher_games", "fallbacks", "errors", "skips", "finalized_by_deadline")


def completion_row(message: Mapping[str, Any]) -> dict[str, Any]:
    """The ``run_completions`` row of a predictions-complete message."""
    created = message.get("run_created_at")
    return {
        "completion_id": message["completion_id"],
        "run_id": message["run_id"],
        "game_date": dt.date.fromisoformat(message["game_date"]),
        "run_created_at": None if created is None else from_iso(created),
        **{c: int(message[c]) for c in COLUMNS},
        "rows_by_system": json.dumps(message["rows_by_system"], sort_keys=True),
        "completed_at": from_iso(message["completed_at"]),
        "message": json.dumps(message, sort_keys=True, separators=(",", ":")),
    }


class WarehouseCompletions:
    """``run_completions`` as the ledger and the record of completions."""

    def __init__(self, warehouse: Warehouse, *, buffered: bool = True) -> None:
        self.warehouse = warehouse
        self.buffered = buffered
        warehouse.ensure_tables([COMPLETIONS])
        self._stored: dict[str, dt.datetime] | None = None
        self._pending: dict[str, dict[str, Any]] = {}
        self.published: list[dict[str, Any]] = []
        """Messages announced through this object (flushed or not), oldest first."""

    def record(self, completion_id: str) -> CompletionRecord | None:
        pending = self._pending.get(completion_id)
        if pending is not None:
            return CompletionRecord(True, pending["completed_at"])
        at = self._stored_ids().get(completion_id)
        return None if at is None else CompletionRecord(True, at)

    def claim(self, message: Mapping[str, Any], now: dt.datetime) -> bool:
        if self.record(message["completion_id"]) is not None:
            return False
        self._pending[message["completion_id"]] = completion_row(message)
        if not self.buffered:
            self.flush()
        return True

    def publish_completion(self, message: Mapping[str, Any]) -> str:
        """Record the announced message (the row was kept by the claim)."""
        self.published.append(dict(message))
        return str(message["completion_id"])

    def confirm(self, message: Mapping[str, Any], now: dt.datetime) -> None:
        """Nothing to do: the row is the confirmation."""

    def flush(self) -> int:
        """Merge the claimed completions into the table; returns how many were new there."""
        if not self._pending:
            return 0
        rows = list(self._pending.values())
        new = self.warehouse.merge(COMPLETIONS, pd.DataFrame(rows))
        stored = self._stored_ids()
        for row in rows:
            stored[row["completion_id"]] = row["completed_at"]
        self._pending.clear()
        return new

    def _stored_ids(self) -> dict[str, dt.datetime]:
        if self._stored is None:
            frame = self.warehouse.query(f"SELECT completion_id, completed_at FROM {COMPLETIONS}")
            self._stored = {
                str(r["completion_id"]): pd.Timestamp(r["completed_at"]).to_pydatetime()
                for r in frame.to_dict("records")
            }
        return self._stored
