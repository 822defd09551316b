"""Faults on the local stack that must lose nothing: a final table emptied and restored by a
republished event, and functions killed (SIGKILL) mid-run while the pushes stop for a while.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from strikeouts.cli import app
from strikeouts.cloud.bigquery_warehouse import BigQueryWarehouse
from strikeouts.cloud.dead_letters import PubSubDeadLetters
from strikeouts.cloud.publish import publish_schedule, publish_tick
from strikeouts.cloud.pubsub import PubSubPublisher
from strikeouts.cloud.staging import StagingMerger, staging_table
from strikeouts.devstack.stack import StackInfo
from strikeouts.devstack.stack_control import restart_function, set_pushes
from strikeouts.names import PREDICTIONS
from strikeouts.pipeline.dead_letters import DeadLetterFilter
from strikeouts.runtime.export import KEY
from strikeouts.settings import Settings

from .stack_session import (
    PUSH_SUBSCRIPTIONS,
    ROWS_PER_START,
    event_for,
    handled,
    rows_of,
    starters,
    wait_for,
)

pytestmark = [pytest.mark.emulator, pytest.mark.slow, pytest.mark.data]

RESTORE_DAY = dt.date(2025, 6, 14)
DRILL_DAY = dt.date(2025, 6, 15)
REDRIVE_DAY = dt.date(2025, 6, 17)
PAUSE_SECONDS = 4.0


def complete(frame: pd.DataFrame, n: int) -> bool:
    """Every pitcher-game has its rows: one per system and the ensemble's."""
    return len(frame) == ROWS_PER_START * n and bool(
        (frame.groupby(["game_id", "pitcher_id"]).size() == ROWS_PER_START).all()
    )


def test_an_emptied_table_is_restored_by_republishing_the_event(
    info: StackInfo,
    cloud: BigQueryWarehouse,
    merger: StagingMerger,
    publisher: PubSubPublisher,
) -> None:
    event = event_for(info, RESTORE_DAY, "e2e-restore")
    n = starters(event)
    publish_schedule(publisher, event)
    wait_for(
        f"{ROWS_PER_START * n} rows of e2e-restore",
        lambda: len(rows_of(cloud, "e2e-restore", merger)) >= ROWS_PER_START * n,
    )
    first = rows_of(cloud, "e2e-restore", merger).sort_values(list(KEY)).reset_index(drop=True)

    # the rows are lost: the final table emptied long after the merge cleared their staging
    for table in (PREDICTIONS, staging_table(PREDICTIONS)):
        cloud.execute(f"DELETE FROM {table} WHERE run_id = 'e2e-restore'")
    assert rows_of(cloud, "e2e-restore", merger).empty
    restored = 0

    def back() -> bool:
        nonlocal restored
        restored += merger.merge().restored
        frame = cloud.query(
            "SELECT * FROM pitcher_strikeout_predictions WHERE run_id = 'e2e-restore'"
        )
        return len(frame) >= ROWS_PER_START * n

    publish_schedule(publisher, event)  # the replay: same run id, same event
    wait_for("the republished event to restore the rows", back)
    after = rows_of(cloud, "e2e-restore", merger).sort_values(list(KEY)).reset_index(drop=True)
    assert restored == ROWS_PER_START * n  # counted as restored, not as first writes
    pd.testing.assert_frame_equal(after, first)


def test_killed_functions_and_stopped_pushes_lose_nothing(
    info: StackInfo,
    cloud: BigQueryWarehouse,
    merger: StagingMerger,
    publisher: PubSubPublisher,
    stack_settings: Settings,
) -> None:
    event = event_for(info, DRILL_DAY, "e2e-drill")
    n = starters(event)
    before = handled(info, "ensemble")
    publish_schedule(publisher, event)
    wait_for("the run to be under way", lambda: handled(info, "ensemble") >= before + n // 2)
    # crashes, not graceful stops: what the ensemble held unstaged dies with it
    restart_function(stack_settings, "ensemble", kill=True, keep_log=True)
    restart_function(stack_settings, "predict_v1_baseline", kill=True, keep_log=True)
    assert set_pushes(stack_settings, paused=True) == PUSH_SUBSCRIPTIONS
    try:
        publish_tick(publisher, dt.datetime.now(dt.UTC))  # queued, not pushed, while paused
        time.sleep(1.0)  # a push already in flight finishes
        paused_at = handled(info, "ensemble_tick")
        time.sleep(PAUSE_SECONDS)
        assert handled(info, "ensemble_tick") == paused_at  # no push while stopped
    finally:
        assert set_pushes(stack_settings, paused=False) == PUSH_SUBSCRIPTIONS

    def done() -> bool:
        # the scheduler's tick rewrites decided-but-unstaged outcomes the crash lost
        publish_tick(publisher, dt.datetime.now(dt.UTC))
        return complete(rows_of(cloud, "e2e-drill", merger), n)

    wait_for(f"all {n} pitcher-games of e2e-drill after the drill", done, timeout=180.0)
    rows = rows_of(cloud, "e2e-drill", merger)
    assert not rows.duplicated(list(KEY)).any()
    assert (rows["system_id"] == "ensemble_v1").sum() == n  # zero lost pitcher-games


def test_dead_letters_are_listed_and_redriven_to_work_after_the_fix(
    info: StackInfo,
    cloud: BigQueryWarehouse,
    merger: StagingMerger,
    publisher: PubSubPublisher,
    stack_settings: Settings,
) -> None:
    env = {"STRIKEOUTS_STATE_DIR": str(stack_settings.state_dir), "COLUMNS": "220"}
    broken = {"STRIKEOUTS_FAULT_FAIL_RATE": "1.0"}  # every delivery fails: a bad deploy
    restart_function(stack_settings, "predict_v1_baseline", broken)
    try:
        now = dt.datetime.now(dt.UTC)
        event = event_for(info, REDRIVE_DAY, "e2e-redrive", now, deadline_seconds=600.0)
        n = starters(event)
        publish_schedule(publisher, event)
        where = DeadLetterFilter(equals={"run_id": "e2e-redrive"})
        letters = PubSubDeadLetters(info.settings())
        wait_for(f"{n} dead letters", lambda: len(letters.pending(where)) >= n, timeout=240.0)
    finally:
        restart_function(stack_settings, "predict_v1_baseline")  # the fix is deployed
    pending = letters.pending(where)
    assert len(pending) == n and {d.handler for d in pending} == {"predict_v1_baseline"}
    assert all("InjectedFault" in d.reason and d.topic == "pitcher-games" for d in pending)
    assert len(letters.pending(where)) == n  # listing consumed nothing
    assert rows_of(cloud, "e2e-redrive", merger).empty  # waiting for v1_baseline

    def cli(command: str) -> Any:
        args = ["dead-letters", command, "--backend", "stack", "--filter", "run_id=e2e-redrive"]
        return CliRunner().invoke(app, args, env=env)

    listed = cli("list")
    assert listed.exit_code == 0, listed.output
    assert f"{n} dead letter(s)" in listed.output
    redriven = cli("redrive")
    assert redriven.exit_code == 0, redriven.output
    assert f"redrove {n} dead letter(s)" in redriven.output
    wait_for(
        f"all {n} pitcher-games of e2e-redrive",
        lambda: complete(rows_of(cloud, "e2e-redrive", merger), n),
    )
    rows = rows_of(cloud, "e2e-redrive", merger)
    assert (rows["system_id"] == "v1_baseline").sum() == n
    assert (rows[rows["system_id"] == "ensemble_v1"]["status"] != "fallback").any()
    assert letters.pending(where) == []
