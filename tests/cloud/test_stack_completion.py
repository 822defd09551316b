"""The completion event on the local stack: the tick announces a run date once on
``predictions-complete``, and neither a replay of the run (its states deleted first, as the
retention does after a day, and the functions restarted, so no memory helps) nor a redrive of
one of its dead letters announces it again."""

from __future__ import annotations

import datetime as dt
import json
import os
from typing import Any

import pytest

from strikeouts.cloud.bigquery_warehouse import BigQueryWarehouse
from strikeouts.cloud.clients import parse_gcs_uri, storage_client
from strikeouts.cloud.dead_letters import PubSubDeadLetters
from strikeouts.cloud.entry import DEAD_LETTER
from strikeouts.cloud.gcs_state import GcsStateStore
from strikeouts.cloud.publish import publish_schedule, publish_tick
from strikeouts.cloud.pubsub import PubSubPublisher
from strikeouts.cloud.staging import StagingMerger
from strikeouts.devstack.stack import StackInfo
from strikeouts.devstack.stack_control import restart_function
from strikeouts.pipeline.dead_letters import DeadLetterFilter
from strikeouts.pipeline.messages import validate
from strikeouts.settings import Settings

from .stack_session import ROWS_PER_START, event_for, handled, rows_of, starters, wait_for

pytestmark = [pytest.mark.emulator, pytest.mark.slow, pytest.mark.data]

DAY = dt.date(2025, 6, 19)
RUN = "e2e-complete"
COMPLETION_ID = f"{RUN}/{DAY.isoformat()}"


def pull_completions(info: StackInfo, settings: Settings) -> list[dict[str, Any]]:
    """Every predictions-complete message waiting on the operators' subscription (acked)."""
    from google.api_core import exceptions
    from google.cloud.pubsub_v1 import SubscriberClient

    os.environ["PUBSUB_EMULATOR_HOST"] = info.pubsub_host
    subscriber = SubscriberClient()
    path = subscriber.subscription_path(info.project, settings.topics.completion_subscription)
    out: list[dict[str, Any]] = []
    try:
        while True:
            try:
                response = subscriber.pull(
                    request={"subscription": path, "max_messages": 100}, timeout=5.0, retry=None
                )
            except exceptions.DeadlineExceeded:
                break
            if not response.received_messages:
                break
            for received in response.received_messages:
                message = json.loads(received.message.data)
                assert received.message.attributes["completion_id"] == message["completion_id"]
                out.append(message)
            subscriber.acknowledge(
                request={
                    "subscription": path,
                    "ack_ids": [m.ack_id for m in response.received_messages],
                }
            )
    finally:
        subscriber.close()
    return out


def test_a_run_is_announced_once_and_neither_a_replay_nor_a_redrive_announces_it_again(
    info: StackInfo,
    cloud: BigQueryWarehouse,
    merger: StagingMerger,
    publisher: PubSubPublisher,
    stack_settings: Settings,
) -> None:
    settings = info.settings()
    event = event_for(info, DAY, RUN)
    n = starters(event)
    publish_schedule(publisher, event)
    wait_for(
        f"the rows of {RUN}",
        lambda: len(rows_of(cloud, RUN, merger)) >= ROWS_PER_START * n,
    )
    announced: list[dict[str, Any]] = []

    def announced_once() -> bool:
        publish_tick(publisher, dt.datetime.now(dt.UTC))
        announced.extend(m for m in pull_completions(info, settings) if m["run_id"] == RUN)
        return bool(announced)

    wait_for(f"the completion of {RUN}", announced_once)
    [message] = announced
    validate("predictions-complete", message)
    rows = rows_of(cloud, RUN, merger)
    assert message["completion_id"] == COMPLETION_ID and message["pitcher_games"] == n
    assert message["rows_by_system"] == rows["system_id"].value_counts().sort_index().to_dict()

    # the replay, after the retention deleted the run's states and with fresh instances
    bucket, prefix = parse_gcs_uri(settings.aggregation_state or "", "aggregation_state")
    store = GcsStateStore(storage_client(settings), bucket, prefix)
    for blob in store.client.list_blobs(store.bucket, prefix=f"{prefix}/{RUN}/"):
        blob.delete()
    restart_function(stack_settings, "ensemble")
    restart_function(stack_settings, "ensemble_tick")
    publish_schedule(publisher, event)

    def run_states_written() -> int:
        listed = GcsStateStore(storage_client(settings), bucket, prefix)  # a fresh listing
        return sum(1 for m in listed.marks() if m.key.run_id == RUN and m.written)

    wait_for(f"{n} states of {RUN} decided again", lambda: run_states_written() >= n)
    [key] = [m.key for m in store.marks() if m.key.run_id == RUN][:1]

    # a redrive: one of the run's results dead-lettered, then republished by the redrive
    stored = store.load(key)
    assert stored is not None
    result = next(iter(stored.state["results"].values()))
    publisher.publish_raw(
        DEAD_LETTER,
        json.dumps(result, sort_keys=True).encode(),
        {
            "run_id": RUN,
            "dead_letter_reason": "TransientError: a drill",
            "source_function": "ensemble",
            "source_topic": "system-predictions",
            "source_message_id": "drill-1",
            "delivery_attempts": "5",
        },
    )
    publisher.flush()
    before = handled(info, "ensemble")
    letters = PubSubDeadLetters(settings)
    redriven: list[Any] = []

    def redrive() -> bool:
        redriven.extend(letters.redrive(DeadLetterFilter(equals={"run_id": RUN}), publisher))
        return bool(redriven)

    wait_for("the drill's dead letter redriven", redrive)
    assert len(redriven) == 1 and redriven[0].topic == "system-predictions"
    wait_for("the redriven result", lambda: handled(info, "ensemble") > before)

    ticks = handled(info, "ensemble_tick")
    for _ in range(2):
        publish_tick(publisher, dt.datetime.now(dt.UTC))
    wait_for(
        "two ticks after the replay and the redrive",
        lambda: handled(info, "ensemble_tick") >= ticks + 2,
    )
    assert [m for m in pull_completions(info, settings) if m["run_id"] == RUN] == []
