"""Seed a deployment so its functions start, and send it a canary run.

Invariants: ``seed`` is idempotent — it loads the warehouse tables only when they hold no
start, and trains a champion only for a system that has none (``ensure_champions``), so a
second run changes nothing; ``canary`` publishes a real past date's game-schedule event
under a fresh run id (never one a real run used) and waits a bounded time for its rows, then
counts the rows that answered (``run_answers``): error rows are rows, not answers.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from strikeouts.models.store import ModelStore, ModelStoreError
from strikeouts.models.systems import SYSTEMS
from strikeouts.monitoring.answers import ANSWERED_SQL, REASON_SQL
from strikeouts.names import CHAMPION, PREDICTIONS
from strikeouts.warehouse.base import Warehouse

Progress = Callable[[str], None]
# the table whose rows mean "the warehouse was loaded" (every slate and feature reads it)
LOADED_MARKER = "pitcher_starts"


@dataclass
class SeedReport:
    """What a seed did: tables loaded (rows) and champions trained or found."""

    loaded: dict[str, int] = field(default_factory=dict)
    trained: dict[str, str] = field(default_factory=dict)
    present: dict[str, str] = field(default_factory=dict)

    def lines(self) -> list[str]:
        loaded = (
            f"loaded {', '.join(f'{t} {n:,}' for t, n in self.loaded.items())}"
            if self.loaded
            else f"warehouse already loaded ({LOADED_MARKER} has rows)"
        )
        trained = [f"trained champion {s} {v}" for s, v in self.trained.items()]
        present = [f"champion {s} {v} present" for s, v in self.present.items()]
        return [loaded, *trained, *present]


def seed_tables(warehouse: Warehouse, data_dir: Path, progress: Progress) -> dict[str, int]:
    """Ingest the raw files into ``warehouse`` when it holds no start yet; rows per table."""
    from strikeouts.data.ingest import ingest_all

    if warehouse.row_count(LOADED_MARKER) > 0:
        return {}
    progress(f"loading the warehouse tables from {data_dir}")
    return dict(ingest_all(data_dir, warehouse).rows)


def seed(
    warehouse: Warehouse,
    store: ModelStore,
    data_dir: Path,
    train_end: dt.date,
    progress: Progress,
) -> SeedReport:
    """Tables when empty, then a champion for every system that lacks one."""
    from strikeouts.models.service import ensure_champions

    report = SeedReport(loaded=seed_tables(warehouse, data_dir, progress))
    before = {}
    for system_id in SYSTEMS:
        try:
            before[system_id] = store.resolve(system_id, CHAMPION).version
        except ModelStoreError:
            progress(f"no champion for {system_id} in {store.location}: training one")
    refs = ensure_champions(warehouse, store, train_end, progress=progress)
    for system_id, ref in refs.items():
        target = report.present if system_id in before else report.trained
        target[system_id] = ref.version
    return report


# the scheduler's tick period: a canary never ticks faster than the cloud does
TICK_SECONDS = 60.0


# every view leaves runs with this prefix out (schemas/bigquery/views/..._latest.sql)
CANARY_PREFIX = "canary-"


def canary_run_id(game_date: dt.date) -> str:
    """A run id no real run uses: the date, ``canary`` and a random suffix."""
    return f"{CANARY_PREFIX}{game_date.isoformat()}-{uuid.uuid4().hex[:8]}"


def wait_for_rows(
    warehouse: Warehouse,
    run_id: str,
    expected_rows: int,
    timeout: float,
    nudge: Callable[[], object],
    poll_seconds: float = 2.0,
    nudge_every: float = TICK_SECONDS,
) -> int:
    """Rows of ``run_id`` in the final table once ``expected_rows`` are there, or what was
    there when ``timeout`` ran out; ``nudge`` (a tick) runs before the first look and then at
    most once per ``nudge_every`` seconds, as the scheduler would: the tick function serves
    one request at a time, and every push it refuses while busy is a delivery attempt."""
    deadline = time.monotonic() + timeout
    rows = 0
    nudged: float | None = None
    while True:
        if nudged is None or time.monotonic() - nudged >= nudge_every:
            nudge()
            nudged = time.monotonic()
        frame = warehouse.query(
            f"SELECT COUNT(*) AS n FROM {PREDICTIONS} WHERE run_id = @r", {"r": run_id}
        )
        rows = int(frame["n"].iloc[0])
        if rows >= expected_rows or time.monotonic() >= deadline:
            return rows
        time.sleep(poll_seconds)


def run_answers(warehouse: Warehouse, run_id: str) -> pd.DataFrame:
    """Each row of ``run_id``: its system, whether it answered, and why not (the canary counts
    answers, not rows: a system that writes only errors fails it)."""
    return warehouse.query(
        f"SELECT system_id, {ANSWERED_SQL} AS answered, {REASON_SQL} AS reason "
        f"FROM {PREDICTIONS} WHERE run_id = @r ORDER BY system_id, created_at, game_id, pitcher_id",
        {"r": run_id},
    )
