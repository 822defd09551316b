"""Warehouse-backed sinks: prediction rows and rejected messages, both written by key (merge).

Replaying a run, a duplicate delivery or the same poison message twice writes nothing new.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import pandas as pd

from strikeouts.settings import SCHEMAS_DIR
from strikeouts.warehouse import Warehouse

PREDICTIONS = "pitcher_strikeout_predictions"
REJECTIONS = "rejected_messages"
LATEST_VIEW_SQL = SCHEMAS_DIR / "bigquery" / "views" / f"{PREDICTIONS}_latest.sql"


def ensure_prediction_tables(warehouse: Warehouse) -> None:
    """Create the prediction and rejection tables and the ``latest`` view if missing."""
    warehouse.ensure_tables([PREDICTIONS, REJECTIONS])
    warehouse.execute(LATEST_VIEW_SQL.read_text())


class WarehousePredictionSink:
    """:class:`PredictionSink` on ``Warehouse.merge`` (key: run, game, pitcher, system)."""

    def __init__(self, warehouse: Warehouse) -> None:
        self.warehouse = warehouse
        ensure_prediction_tables(warehouse)

    def write(self, rows: Sequence[Mapping[str, Any]]) -> int:
        if not rows:
            return 0
        return self.warehouse.merge(PREDICTIONS, pd.DataFrame([dict(r) for r in rows]))


def payload_text(raw: bytes | str) -> str:
    """The raw payload as text (undecodable bytes replaced, so nothing is lost silently)."""
    return raw if isinstance(raw, str) else raw.decode("utf-8", errors="replace")


def payload_sha256(raw: bytes | str) -> str:
    """The hash that keys a rejection (same handler + payload = one row)."""
    data = raw.encode() if isinstance(raw, str) else raw
    return hashlib.sha256(data).hexdigest()


class WarehouseRejectionSink:
    """:class:`RejectionSink` writing ``rejected_messages`` by (handler, payload hash)."""

    def __init__(self, warehouse: Warehouse) -> None:
        self.warehouse = warehouse
        warehouse.ensure_tables([REJECTIONS])

    def reject(
        self,
        *,
        handler: str,
        topic: str | None,
        message_id: str | None,
        raw_payload: bytes | str,
        reason: str,
        received_at: datetime,
    ) -> None:
        row = {
            "handler": handler,
            "payload_sha256": payload_sha256(raw_payload),
            "message_id": message_id,
            "topic": topic,
            "raw_payload": payload_text(raw_payload),
            "reason": reason,
            "received_at": received_at,
        }
        self.warehouse.merge(REJECTIONS, pd.DataFrame([row]))
