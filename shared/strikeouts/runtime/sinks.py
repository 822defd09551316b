"""Warehouse-backed sinks: prediction rows, rejected messages and dead letters, written by key.

Replaying a run, a duplicate delivery or the same poison message twice writes nothing new.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import pandas as pd

from strikeouts.names import (
    PREDICTIONS,
    PREDICTIONS_LATEST,
    REJECTED_MESSAGES,
    SHADOW_PREDICTIONS,
)
from strikeouts.pipeline.bus import DeadLetter
from strikeouts.settings import SCHEMAS_DIR
from strikeouts.warehouse import Warehouse

LATEST_VIEW_SQL = SCHEMAS_DIR / "bigquery" / "views" / f"{PREDICTIONS_LATEST}.sql"


def ensure_prediction_tables(warehouse: Warehouse) -> None:
    """Create the prediction, shadow and rejection tables and the ``latest`` view if missing
    (where the warehouse manages its schema)."""
    warehouse.ensure_tables([PREDICTIONS, SHADOW_PREDICTIONS, REJECTED_MESSAGES])
    if warehouse.manages_schema:
        warehouse.execute(LATEST_VIEW_SQL.read_text())


class WarehousePredictionSink:
    """:class:`PredictionSink` on ``Warehouse.merge`` (key: run, game, pitcher, system)."""

    def __init__(self, warehouse: Warehouse, table: str = PREDICTIONS) -> None:
        self.warehouse = warehouse
        self.table = table
        ensure_prediction_tables(warehouse)

    def write(self, rows: Sequence[Mapping[str, Any]]) -> int:
        if not rows:
            return 0
        return self.warehouse.merge(self.table, pd.DataFrame([dict(r) for r in rows]))


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
        warehouse.ensure_tables([REJECTED_MESSAGES])

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
        self.warehouse.merge(REJECTED_MESSAGES, pd.DataFrame([row]))


def dead_letter_rows(
    letters: Sequence[DeadLetter], at: datetime, id_prefix: str = ""
) -> pd.DataFrame:
    """``dead_letters`` rows of the in-process bus's dead letters, shaped as the cloud's.

    The cloud's rows come from a Pub/Sub BigQuery subscription on the dead-letter topic
    (metadata columns, attributes as JSON); the attribute names are the cloud entry's: the
    message's own attributes plus the dead-letter ones. The bus numbers its messages from 1 in
    every process, so ``id_prefix`` (one per process) keeps message ids unique across runs.
    """
    return pd.DataFrame(
        [
            {
                "subscription_name": letter.subscription,
                "message_id": f"{id_prefix}{letter.message_id}",
                "publish_time": at,
                "data": payload_text(letter.payload),
                "attributes": json.dumps(
                    {
                        **letter.attributes,
                        "dead_letter_reason": letter.reason,
                        "delivery_attempts": str(letter.attempts),
                        "source_function": letter.subscription,
                        "source_topic": letter.topic,
                        "source_message_id": letter.message_id,
                    },
                    sort_keys=True,
                ),
            }
            for letter in letters
        ]
    )
