"""Faults on the local stack that must lose nothing: a final table emptied and restored by a
republished event, and functions killed (SIGKILL) mid-run while the pushes stop for a while.
"""

from __future__ import annotations

import datetime as dt
import time

import pandas as pd
import pytest

from strikeouts.cloud.export import KEY
from strikeouts.cloud.publish import publish_schedule, publish_tick
from strikeouts.cloud.pubsub import PubSubPublisher
from strikeouts.cloud.stack import StackInfo
from strikeouts.cloud.stack_control import restart_function, set_pushes
from strikeouts.cloud.staging import StagingMerger, staging_table
from strikeouts.pipeline.sinks import PREDICTIONS
from strikeouts.settings import Settings
from strikeouts.warehouse.bigquery_backend import BigQueryWarehouse

from .stack_session import event_for, handled, rows_of, starters, wait_for

pytestmark = [pytest.mark.emulator, pytest.mark.slow, pytest.mark.data]

RESTORE_DAY = dt.date(2025, 6, 14)
DRILL_DAY = dt.date(2025, 6, 15)
PAUSE_SECONDS = 4.0


def complete(frame: pd.DataFrame, n: int) -> bool:
    """Every pitcher-game has its three rows."""
    return len(frame) == 3 * n and bool(
        (frame.groupby(["game_id", "pitcher_id"]).size() == 3).all()
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
        f"{3 * n} rows of e2e-restore", lambda: len(rows_of(cloud, "e2e-restore", merger)) >= 3 * n
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
        return len(frame) >= 3 * n

    publish_schedule(publisher, event)  # the replay: same run id, same event
    wait_for("the republished event to restore the rows", back)
    after = rows_of(cloud, "e2e-restore", merger).sort_values(list(KEY)).reset_index(drop=True)
    assert restored == 3 * n  # counted as restored, not as first writes
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
    assert set_pushes(stack_settings, paused=True) == 6
    try:
        publish_tick(publisher, dt.datetime.now(dt.UTC))  # queued, not pushed, while paused
        time.sleep(1.0)  # a push already in flight finishes
        paused_at = handled(info, "ensemble_tick")
        time.sleep(PAUSE_SECONDS)
        assert handled(info, "ensemble_tick") == paused_at  # no push while stopped
    finally:
        assert set_pushes(stack_settings, paused=False) == 6

    def done() -> bool:
        # the scheduler's tick rewrites decided-but-unstaged outcomes the crash lost
        publish_tick(publisher, dt.datetime.now(dt.UTC))
        return complete(rows_of(cloud, "e2e-drill", merger), n)

    wait_for(f"all {n} pitcher-games of e2e-drill after the drill", done, timeout=180.0)
    rows = rows_of(cloud, "e2e-drill", merger)
    assert not rows.duplicated(list(KEY)).any()
    assert (rows["system_id"] == "ensemble_v1").sum() == n  # zero lost pitcher-games
