"""Heartbeats: a scheduled component records each completed run, so silence can be alerted on.

Invariant: one appended row per beat, by a DML INSERT (not a load job: a tick every minute would
exceed BigQuery's daily load jobs per table); the monitoring check reads the newest beat.
"""

from __future__ import annotations

from datetime import datetime

from strikeouts.pipeline.heartbeat import HEARTBEATS
from strikeouts.warehouse.base import Warehouse


def record_heartbeat(warehouse: Warehouse, component: str, at: datetime) -> None:
    """Append one beat of ``component`` at ``at``."""
    warehouse.execute(
        f"INSERT INTO {HEARTBEATS} (component, beat_at) VALUES (@component, @at)",
        {"component": component, "at": at},
    )
