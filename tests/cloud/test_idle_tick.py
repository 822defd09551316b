"""An idle tick costs nothing in BigQuery: on the local stack, a tick with nothing staged and
nothing due runs no BigQuery job at all (counted from bqemulator's job list), and no
heartbeat row; its log line is what the cloud counts instead."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from strikeouts.cloud.bigquery_warehouse import BigQueryWarehouse
from strikeouts.cloud.functions import TICK_LOG
from strikeouts.cloud.publish import publish_tick
from strikeouts.cloud.pubsub import PubSubPublisher
from strikeouts.devstack.metering import Meter
from strikeouts.devstack.stack import StackInfo

from .stack_session import wait_for

pytestmark = [pytest.mark.emulator, pytest.mark.slow, pytest.mark.data]

# rows staged by earlier tests are merged again once past the merge grace (60 s), then cleared
SETTLE_SECONDS = 180.0


def ticks(log: Path) -> list[dict[str, object]]:
    lines = log.read_text(errors="replace").splitlines()
    return [json.loads(line) for line in lines if f'"{TICK_LOG}"' in line]


def tick_once(info: StackInfo, publisher: PubSubPublisher) -> dict[str, object]:
    log = Path(info.processes["ensemble_tick"].log)
    before = len(ticks(log))
    publish_tick(publisher, dt.datetime.now(dt.UTC))
    wait_for("the tick's log line", lambda: len(ticks(log)) > before)
    return ticks(log)[-1]


def test_an_idle_tick_runs_no_bigquery_job(
    info: StackInfo, cloud: BigQueryWarehouse, publisher: PubSubPublisher
) -> None:
    wait_for("an idle tick", lambda: bool(tick_once(info, publisher)["idle"]), SETTLE_SECONDS)
    meter = Meter(
        cloud.client,
        Path(info.processes["fake-gcs-server"].log),
        {"ensemble_tick": Path(info.processes["ensemble_tick"].log)},
    )
    meter.mark()
    for _ in range(3):
        assert tick_once(info, publisher)["idle"] is True
    usage = meter.read()
    assert usage.deliveries["ensemble_tick"] == 3
    assert (usage.dml_jobs, [j.kind for j in usage.jobs]) == (0, [])
    # the state listing (one class A operation a tick) and nothing written
    assert usage.gcs_class_a == 3
