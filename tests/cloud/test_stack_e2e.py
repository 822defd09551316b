"""End to end on the local stack with the official clients: the Pub/Sub emulator pushing to
the event functions (one per registered system) under functions-framework, bqemulator and
fake-gcs-server behind them.

One stack per session (started by the fixture; fails in CI, skips elsewhere, when a server
cannot start), one small real date per scenario, every wait bounded with a clear message.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import time
from pathlib import Path

import pandas as pd
import pytest

from strikeouts.cloud.bigquery_warehouse import BigQueryWarehouse
from strikeouts.cloud.functions import open_function_model_store, system_functions
from strikeouts.cloud.publish import publish_schedule, publish_tick
from strikeouts.cloud.pubsub import PubSubPublisher
from strikeouts.cloud.staging import StagingMerger, staging_table
from strikeouts.devstack.stack import StackInfo
from strikeouts.devstack.stack_control import restart_function, stop_function
from strikeouts.models.systems import system_ids
from strikeouts.names import PREDICTIONS
from strikeouts.pipeline.clock import FakeClock
from strikeouts.runtime.export import KEY, prediction_rows
from strikeouts.runtime.sinks import payload_sha256
from strikeouts.settings import Settings
from strikeouts.warehouse.duckdb_backend import DuckDBWarehouse

from .stack_session import (
    CREATED,
    ROWS_PER_START,
    deliveries_of,
    event_for,
    handled,
    rows_of,
    starters,
    wait_for,
)

pytestmark = [pytest.mark.emulator, pytest.mark.slow, pytest.mark.data]

DAY = dt.date(2025, 6, 10)
KILL_DAY = dt.date(2025, 6, 11)
FALLBACK_DAY = dt.date(2025, 6, 12)
FLUSH_DAY = dt.date(2025, 6, 13)


def test_cloud_rows_equal_the_embedded_run_and_replay_writes_nothing(
    info: StackInfo,
    cloud: BigQueryWarehouse,
    merger: StagingMerger,
    publisher: PubSubPublisher,
    ingested: DuckDBWarehouse,
    tmp_path: Path,
) -> None:
    from strikeouts.runtime.runner import Runner, load_predictors

    event = event_for(info, DAY, "e2e-parity")
    expected = ROWS_PER_START * starters(event)
    publish_schedule(publisher, event)
    wait_for(
        f"{expected} rows of run e2e-parity",
        lambda: len(rows_of(cloud, "e2e-parity", merger)) >= expected,
    )

    local = tmp_path / "embedded.duckdb"
    shutil.copyfile(info.feature_warehouse, local)
    embedded = DuckDBWarehouse(local)
    try:
        predictors = load_predictors(open_function_model_store(info.settings()))
        runner = Runner(embedded, predictors, tmp_path / "state.duckdb", clock=FakeClock(CREATED))
        runner.run(DAY, DAY, run_id="e2e-parity")
        want = prediction_rows(embedded, ["e2e-parity"])
    finally:
        embedded.close()
    got = prediction_rows(cloud, ["e2e-parity"])
    assert len(got) == expected
    pd.testing.assert_frame_equal(got, want)

    before = handled(info, "ensemble")
    publish_schedule(publisher, event)  # a replay: same run id, same event
    wait_for("the replay's deliveries", lambda: handled(info, "ensemble") >= before + expected)
    assert merger.pending() >= 2 * starters(event)  # the replay staged its rows again ...
    assert merger.merge().inserted == 0  # ... and the MERGE found every key already there
    again = prediction_rows(cloud, ["e2e-parity"])
    pd.testing.assert_frame_equal(again, got)


def test_function_killed_mid_run_still_gives_one_row_per_key(
    info: StackInfo,
    cloud: BigQueryWarehouse,
    merger: StagingMerger,
    publisher: PubSubPublisher,
    stack_settings: Settings,
) -> None:
    event = event_for(info, KILL_DAY, "e2e-kill")
    expected = ROWS_PER_START * starters(event)
    publish_schedule(publisher, event)
    time.sleep(1.0)
    restart_function(stack_settings, "ensemble")  # stopped mid-run and replaced
    wait_for(
        f"{expected} rows of run e2e-kill",
        lambda: len(rows_of(cloud, "e2e-kill", merger)) >= expected,
    )
    rows = rows_of(cloud, "e2e-kill", merger)
    assert len(rows) == expected
    assert not rows.duplicated(list(KEY)).any()
    assert (rows.groupby(["game_id", "pitcher_id"]).size() == ROWS_PER_START).all()


def test_ensemble_falls_back_after_the_deadline_when_a_system_is_down(
    info: StackInfo,
    cloud: BigQueryWarehouse,
    merger: StagingMerger,
    publisher: PubSubPublisher,
    stack_settings: Settings,
) -> None:
    stop_function(stack_settings, "predict_v1_6_rolling")
    try:
        now = dt.datetime.now(dt.UTC)
        event = event_for(info, FALLBACK_DAY, "e2e-fallback", now, deadline_seconds=10.0)
        n = starters(event)
        handled_before = handled(info, "ensemble")
        publish_schedule(publisher, event)
        # n registrations + n baseline results, kept in the state until the outcome
        wait_for(
            f"{n} v1_baseline results at the ensemble",
            lambda: handled(info, "ensemble") >= handled_before + 2 * n,
        )
        # nothing is written (no system row, no ensemble row) before the deadline, whatever
        # the ticks: a pitcher-game's rows are written together when it is finalized
        publish_tick(publisher, dt.datetime.now(dt.UTC))
        if dt.datetime.now(dt.UTC) < now + dt.timedelta(seconds=8):
            time.sleep(1.0)
            assert rows_of(cloud, "e2e-fallback", merger).empty

        def finalized() -> bool:
            publish_tick(publisher, dt.datetime.now(dt.UTC))
            rows = rows_of(cloud, "e2e-fallback", merger)
            return int((rows["system_id"] == "ensemble_v1").sum()) >= n

        wait_for(f"{n} fallback ensemble rows", finalized)
    finally:
        restart_function(stack_settings, "predict_v1_6_rolling")
    rows = rows_of(cloud, "e2e-fallback", merger)
    ensemble = rows[rows["system_id"] == "ensemble_v1"].set_index(["game_id", "pitcher_id"])
    others = rows[~rows["system_id"].isin(["ensemble_v1", "v1_6_rolling"])]
    status = others.set_index(["game_id", "pitcher_id", "system_id"])["status"]
    assert len(ensemble) == n
    assert (rows["system_id"] == "v1_6_rolling").sum() == 0  # the stopped system wrote nothing
    for key, row in ensemble.iterrows():
        # contributing = the running systems that answered 'ok'; missing = the stopped one
        # plus any running system that did not answer 'ok'
        answered = {
            s for s in system_ids() if s != "v1_6_rolling" and status.get((*key, s)) == "ok"
        }
        running = set(system_ids()) - {"v1_6_rolling"}
        assert "v1_6_rolling" in list(row["missing_systems"]), key
        assert set(row["missing_systems"]) == {"v1_6_rolling"} | (running - answered), key
        assert set(row["contributing_systems"]) == answered, key
        if answered:
            assert "deadline passed" in row["fallback_reason"], key
    assert (others["status"] == "ok").sum() > 0


def test_poison_message_ends_in_rejected_messages_not_in_retries(
    info: StackInfo, cloud: BigQueryWarehouse, publisher: PubSubPublisher
) -> None:
    poison = json.dumps(
        {"schema_version": 1, "message_type": "pitcher-game", "header": {}}
    ).encode()
    publisher.publish_raw("pitcher-games", poison, {"run_id": "poison"})
    [message_id] = publisher.flush()
    digest = payload_sha256(poison)

    def rejected() -> pd.DataFrame:
        return cloud.query(
            "SELECT handler, reason FROM rejected_messages WHERE payload_sha256 = @h", {"h": digest}
        )

    wait_for("3 rejections of the poison", lambda: len(rejected()) >= 3)
    time.sleep(3.0)  # a retried poison would be redelivered about once a second
    functions = (*system_functions(), "ensemble")  # every registered system's, and the ensemble
    assert sorted(rejected()["handler"]) == sorted(functions)
    assert {f: deliveries_of(info, f, message_id) for f in functions} == dict.fromkeys(functions, 1)


def test_a_stopped_ensemble_stages_the_rows_it_still_held(
    info: StackInfo,
    cloud: BigQueryWarehouse,
    merger: StagingMerger,
    publisher: PubSubPublisher,
    stack_settings: Settings,
) -> None:
    """Graceful stop (SIGTERM, as a scaled-in instance gets): the batch still queued goes out."""
    holding = {"STRIKEOUTS_STAGING_FLUSH_INTERVAL_SECONDS": "60"}  # no flush during the test
    restart_function(stack_settings, "ensemble", holding)
    event = event_for(info, FLUSH_DAY, "e2e-flush")
    expected = ROWS_PER_START * starters(event)

    def staged() -> int:
        frame = cloud.query(
            f"SELECT COUNT(*) AS n FROM {staging_table(PREDICTIONS)} WHERE run_id = @r",
            {"r": "e2e-flush"},
        )
        return int(frame["n"].iloc[0])

    publish_schedule(publisher, event)
    # a registration and a result per system for each pitcher-game: every outcome decided
    wait_for("the ensemble's deliveries", lambda: handled(info, "ensemble") >= expected)
    assert staged() == 0  # held in the instance, not yet staged
    restart_function(stack_settings, "ensemble")  # SIGTERM, then a fresh instance
    assert staged() == expected
    rows = rows_of(cloud, "e2e-flush", merger)
    assert len(rows) == expected and not rows.duplicated(list(KEY)).any()
