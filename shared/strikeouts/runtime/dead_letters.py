"""Dead letters of the embedded pipeline, kept in the warehouse's ``dead_letters`` table.

The in-process bus holds a dead letter in memory only; the runner saves each one here after a
drain, so nothing it gave up on is lost with the process. Invariants: a row is keyed by
(handler, payload hash), so the same message dead-lettered again is one row; ``redriven_at``
marks what a redrive republished, and pending means not redriven since it was (last) saved.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import pandas as pd

from strikeouts.pipeline.bus import DeadLetter
from strikeouts.pipeline.dead_letters import DeadLetterFilter, DeadLetterRecord
from strikeouts.pipeline.sinks import payload_sha256, payload_text
from strikeouts.warehouse.base import Warehouse

TABLE = "dead_letters"


class WarehouseDeadLetters:
    """The ``dead_letters`` table: save the bus's dead letters, list and mark redriven ones."""

    def __init__(self, warehouse: Warehouse) -> None:
        self.warehouse = warehouse
        warehouse.ensure_tables([TABLE])

    def save(self, letters: Sequence[DeadLetter], at: datetime) -> int:
        """Record the bus's dead letters (a known one becomes pending again); returns how many."""
        if not letters:
            return 0
        rows = pd.DataFrame([_row(letter, at) for letter in letters]).drop_duplicates(
            ["handler", "payload_sha256"], keep="last"
        )
        # the key may exist from an earlier run: the newest failure replaces it
        self.warehouse.execute(
            f"DELETE FROM {TABLE} WHERE CONCAT(handler, '/', payload_sha256) IN UNNEST(@keys)",
            {
                "keys": [
                    f"{h}/{s}" for h, s in zip(rows["handler"], rows["payload_sha256"], strict=True)
                ]
            },
        )
        return self.warehouse.merge(TABLE, rows)

    def pending(self, where: DeadLetterFilter) -> list[DeadLetterRecord]:
        """Dead letters not redriven since, matching ``where``, oldest first."""
        frame = self.warehouse.query(
            f"SELECT * FROM {TABLE} WHERE redriven_at IS NULL ORDER BY dead_lettered_at, handler"
        )
        records = [_record({str(k): v for k, v in r.items()}) for r in frame.to_dict("records")]
        return [r for r in records if where.matches(r)]

    def mark_redriven(
        self, records: Sequence[DeadLetterRecord], before: datetime, at: datetime
    ) -> None:
        """Stamp ``redriven_at`` on these dead letters, unless dead-lettered again since
        ``before`` (then they stay pending, with the new failure)."""
        if not records:
            return
        self.warehouse.execute(
            f"UPDATE {TABLE} SET redriven_at = @at WHERE dead_lettered_at < @before "
            "AND CONCAT(handler, '/', payload_sha256) IN UNNEST(@keys)",
            {
                "at": at,
                "before": before,
                "keys": [f"{r.handler}/{payload_sha256(r.payload)}" for r in records],
            },
        )


def _row(letter: DeadLetter, at: datetime) -> dict[str, Any]:
    return {
        "handler": letter.subscription,
        "payload_sha256": payload_sha256(letter.payload),
        "message_id": letter.message_id,
        "topic": letter.topic,
        "raw_payload": payload_text(letter.payload),
        "reason": letter.reason,
        "attempts": letter.attempts,
        "attributes_json": json.dumps(dict(letter.attributes), sort_keys=True),
        "dead_lettered_at": at,
        "redriven_at": None,
    }


def _record(row: dict[str, Any]) -> DeadLetterRecord:
    at = row["dead_lettered_at"]
    return DeadLetterRecord(
        message_id=str(row["message_id"] or ""),
        topic=str(row["topic"]),
        handler=str(row["handler"]),
        reason=str(row["reason"]),
        attempts=int(row["attempts"]),
        dead_lettered_at=pd.Timestamp(at).to_pydatetime() if at is not None else None,
        payload=str(row["raw_payload"]).encode(),
        attributes=json.loads(row["attributes_json"] or "{}"),
    )
