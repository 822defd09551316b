"""The local stack for the end-to-end tests: one stack per session and the helpers that wait
on it (every wait bounded, failing with what it waited for).

The stack is started by the ``stack_settings`` fixture (fails in CI, skips elsewhere, when a
server cannot start) on a copy of the ingested warehouse, and stopped by PID at the end.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from strikeouts.cloud.bigquery_warehouse import BigQueryWarehouse
from strikeouts.cloud.publish import build_schedule_event
from strikeouts.cloud.pubsub import PubSubPublisher
from strikeouts.cloud.staging import StagingMerger, open_merger
from strikeouts.devstack.emulators import EmulatorError
from strikeouts.devstack.stack import StackInfo, stack_down, stack_up
from strikeouts.models.systems import system_ids
from strikeouts.settings import Settings
from strikeouts.warehouse.duckdb_backend import DuckDBWarehouse, ReadOnlyDuckDBWarehouse

TRAIN_END = dt.date(2025, 3, 1)
CREATED = dt.datetime(2025, 6, 10, 9, 0, tzinfo=dt.UTC)
WAIT_SECONDS = 90.0
# a pitcher-game's rows: one per registered system and the ensemble's
ROWS_PER_START = len(system_ids()) + 1
# push subscriptions: fanout, one per system, the ensemble's two (registrations, results), the tick
PUSH_SUBSCRIPTIONS = len(system_ids()) + 4
# the functions' alias TTL: a promotion test waits this long, not the production 30 s
ALIAS_TTL_SECONDS = 2.0


@contextmanager
def running_stack(settings: Settings, **up: Any) -> Iterator[StackInfo]:
    """``stack_up(settings, **up)`` for the ``with`` block, then down by PID, the process
    environment as it was; a server that cannot start fails in CI and skips elsewhere."""
    saved_env = dict(os.environ)
    try:
        info = stack_up(settings, **up)
    except (EmulatorError, OSError) as exc:
        os.environ.clear()
        os.environ.update(saved_env)
        if os.environ.get("CI"):
            pytest.fail(f"cannot start the local stack: {exc}")
        pytest.skip(f"cannot start the local stack: {exc}")
    try:
        yield info
    finally:
        stack_down(settings)
        os.environ.clear()
        os.environ.update(saved_env)


@pytest.fixture(scope="session")
def stack_settings(
    ingested: DuckDBWarehouse, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Settings]:
    """The stack up for the session, on a read-only copy of the ingested warehouse."""
    root = tmp_path_factory.mktemp("stack")
    ingested.execute("CHECKPOINT")
    features = root / "features.duckdb"
    shutil.copyfile(ingested.path, features)
    settings = Settings(state_dir=root / "state")
    with running_stack(
        settings,
        feature_warehouse=features,
        train_end=TRAIN_END,
        tick_seconds=0,
        function_env={"STRIKEOUTS_ALIAS_TTL_SECONDS": str(ALIAS_TTL_SECONDS)},
    ):
        yield settings


@pytest.fixture(scope="session")
def info(stack_settings: Settings) -> StackInfo:
    return StackInfo.load(Path(stack_settings.state_dir) / "stack.json")


@pytest.fixture(scope="session")
def cloud(info: StackInfo) -> Iterator[BigQueryWarehouse]:
    wh = BigQueryWarehouse(
        project=info.project, dataset=info.dataset, endpoint=info.bigquery_endpoint, timeout=30.0
    )
    yield wh
    wh.close()


@pytest.fixture(scope="session")
def merger(info: StackInfo, cloud: BigQueryWarehouse) -> StagingMerger:
    """What the tick does every minute, run on demand by the waits (under the same lease)."""
    found = open_merger(info.settings(), cloud)
    assert found is not None
    return found


@pytest.fixture(scope="session")
def publisher(info: StackInfo) -> PubSubPublisher:
    return PubSubPublisher.from_settings(info.settings())


def event_for(
    info: StackInfo, day: dt.date, run_id: str, created: dt.datetime = CREATED, **kw: Any
) -> dict[str, Any]:
    features = ReadOnlyDuckDBWarehouse(info.feature_warehouse)
    try:
        return build_schedule_event(features, day, run_id, created, **kw)
    finally:
        features.close()


def starters(event: dict[str, Any]) -> int:
    return sum(len(g["starters"]) for g in event["games"])


def wait_for(what: str, done: Callable[[], bool], timeout: float = WAIT_SECONDS) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if done():
            return
        time.sleep(0.5)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")


def rows_of(cloud: BigQueryWarehouse, run_id: str, merger: StagingMerger) -> pd.DataFrame:
    merger.merge()
    return cloud.query(
        "SELECT * FROM pitcher_strikeout_predictions WHERE run_id = @r", {"r": run_id}
    )


def handled(info: StackInfo, function: str) -> int:
    text = Path(info.processes[function].log).read_text(errors="replace")
    return sum(1 for line in text.splitlines() if '"delivery handled"' in line)


def deliveries_of(info: StackInfo, function: str, message_id: str) -> int:
    text = Path(info.processes[function].log).read_text(errors="replace")
    return sum(
        1
        for line in text.splitlines()
        if '"delivery handled"' in line and f'"message_id": "{message_id}"' in line
    )
