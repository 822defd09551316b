"""Dead letters of the embedded pipeline in the warehouse, shaped as the cloud keeps them.

The in-process bus holds a dead letter in memory only; the runner saves each one in
``dead_letters`` (the shape the cloud's dead-letter BigQuery subscription writes, so monitoring
reads both paths alike) after a drain, so nothing it gave up on is lost with the process.
Invariants: every saved dead letter has its own key (the bus's message number behind a
per-process prefix), so a message that fails again after a redrive is a new pending row;
``dead_letter_redrives`` records what a redrive republished, and pending means not in it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import pandas as pd

from strikeouts.names import DEAD_LETTERS
from strikeouts.pipeline.bus import DeadLetter
from strikeouts.pipeline.dead_letters import (
    DEAD_LETTER_ATTRIBUTES,
    DeadLetterFilter,
    DeadLetterRecord,
)
from strikeouts.runtime.sinks import dead_letter_rows
from strikeouts.warehouse.base import Warehouse

REDRIVES = "dead_letter_redrives"
PENDING_SQL = f"""
SELECT d.* FROM {DEAD_LETTERS} AS d
LEFT JOIN {REDRIVES} AS r
  ON r.subscription_name = d.subscription_name AND r.message_id = d.message_id
WHERE r.message_id IS NULL
ORDER BY d.publish_time, d.subscription_name, d.message_id
"""


class WarehouseDeadLetters:
    """``dead_letters`` and ``dead_letter_redrives``: save, list pending, mark redriven."""

    def __init__(self, warehouse: Warehouse) -> None:
        self.warehouse = warehouse
        self.prefix = f"embedded-{uuid.uuid4().hex[:12]}-"
        warehouse.ensure_tables([DEAD_LETTERS, REDRIVES])

    def save(self, letters: Sequence[DeadLetter], at: datetime) -> int:
        """Record the bus's dead letters; returns how many."""
        if not letters:
            return 0
        return self.warehouse.merge(DEAD_LETTERS, dead_letter_rows(letters, at, self.prefix))

    def pending(self, where: DeadLetterFilter) -> list[DeadLetterRecord]:
        """Dead letters not redriven, matching ``where``, oldest first."""
        frame = self.warehouse.query(PENDING_SQL)
        records = [_record({str(k): v for k, v in r.items()}) for r in frame.to_dict("records")]
        return [r for r in records if where.matches(r)]

    def mark_redriven(self, records: Sequence[DeadLetterRecord], at: datetime) -> int:
        """Record that these dead letters were republished at ``at``."""
        if not records:
            return 0
        rows = pd.DataFrame(
            [
                {"subscription_name": r.handler, "message_id": r.message_id, "redriven_at": at}
                for r in records
            ]
        )
        return self.warehouse.merge(REDRIVES, rows)


def _record(row: dict[str, Any]) -> DeadLetterRecord:
    attributes: dict[str, str] = json.loads(row["attributes"] or "{}")
    at = row["publish_time"]
    return DeadLetterRecord(
        message_id=str(row["message_id"]),
        topic=attributes.get("source_topic", ""),
        handler=str(row["subscription_name"]),
        reason=attributes.get("dead_letter_reason", ""),
        attempts=int(attributes.get("delivery_attempts", "0") or 0),
        dead_lettered_at=None if at is None else pd.Timestamp(at).to_pydatetime(),
        payload=str(row["data"] or "").encode(),
        attributes={k: v for k, v in attributes.items() if k not in DEAD_LETTER_ATTRIBUTES},
    )
