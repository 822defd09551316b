"""The cloud adapters against the real local servers: PubSubPublisher on the official Pub/Sub
emulator, the delivery-attempt counter and the merge lease on fake-gcs-server, and the
staging → MERGE prediction sink on bqemulator."""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest

from strikeouts.cloud.attempts import ObjectAttemptCounter
from strikeouts.cloud.bigquery_warehouse import BigQueryWarehouse
from strikeouts.cloud.context import TRACE_ATTRIBUTE, set_trace_id
from strikeouts.cloud.lease import GcsLease
from strikeouts.cloud.pubsub import PublishError, PubSubPublisher, batch_settings
from strikeouts.cloud.staging import StagedPredictionSink, StagingMerger, staging_table
from strikeouts.devstack.emulators import ServerProcess
from strikeouts.devstack.emulators.process import HOST, free_port
from strikeouts.devstack.emulators.pubsub import emulator_host
from strikeouts.names import PREDICTIONS, SYSTEM_PREDICTIONS
from strikeouts.pipeline.errors import TransientError
from strikeouts.warehouse.base import WarehouseError

from .doubles import CREATED
from .doubles import prediction_row as row

pytestmark = pytest.mark.emulator

PROJECT = "adapters-test"


# --- Pub/Sub -------------------------------------------------------------------------------


@pytest.fixture
def pubsub_topic(
    pubsub_emulator: ServerProcess, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[PubSubPublisher, Any, str]]:
    """A publisher on a fresh topic with a fresh pull subscription (the emulator's advice)."""
    from google.cloud.pubsub_v1 import PublisherClient, SubscriberClient

    monkeypatch.setenv("PUBSUB_EMULATOR_HOST", emulator_host(pubsub_emulator))
    topic_id = f"t-{uuid.uuid4().hex[:10]}"
    client = PublisherClient(batch_settings=batch_settings())
    subscriber = SubscriberClient()
    topic = client.topic_path(PROJECT, topic_id)
    client.create_topic(name=topic, timeout=10)
    subscription = subscriber.subscription_path(PROJECT, f"{topic_id}-pull")
    subscriber.create_subscription(name=subscription, topic=topic, timeout=10)
    publisher = PubSubPublisher(client, PROJECT, {SYSTEM_PREDICTIONS: topic_id}, timeout=10.0)
    yield publisher, subscriber, subscription
    subscriber.close()


def pull_all(subscriber: Any, subscription: str, want: int) -> list[Any]:
    """Pull until ``want`` messages arrived (bounded), acknowledging them."""
    got: list[Any] = []
    deadline = time.monotonic() + 15.0
    while len(got) < want and time.monotonic() < deadline:
        response = subscriber.pull(subscription=subscription, max_messages=100, timeout=5)
        if response.received_messages:
            got += [m.message for m in response.received_messages]
            subscriber.acknowledge(
                subscription=subscription, ack_ids=[m.ack_id for m in response.received_messages]
            )
    return got


def test_publisher_carries_routing_attributes_and_the_trace_id(
    pubsub_topic: tuple[PubSubPublisher, Any, str],
) -> None:
    publisher, subscriber, subscription = pubsub_topic
    set_trace_id("a" * 32)
    try:
        publisher.publish_raw(SYSTEM_PREDICTIONS, b'{"n": 1}', {"run_id": "r1", "pitcher_id": "7"})
        [message_id] = publisher.flush()
    finally:
        set_trace_id(None)
    [message] = pull_all(subscriber, subscription, 1)
    assert message.message_id == message_id
    assert message.data == b'{"n": 1}'
    attributes = dict(message.attributes)
    assert attributes["run_id"] == "r1" and attributes["pitcher_id"] == "7"
    assert attributes[TRACE_ATTRIBUTE] == "a" * 32
    assert len(attributes["client_message_id"]) == 32


def test_flush_waits_for_every_batched_message_in_order(
    pubsub_topic: tuple[PubSubPublisher, Any, str],
) -> None:
    publisher, subscriber, subscription = pubsub_topic
    for i in range(120):
        publisher.publish_raw(SYSTEM_PREDICTIONS, str(i).encode(), {"seq": str(i)})
    ids = publisher.flush()
    assert len(ids) == len(set(ids)) == 120
    assert publisher.flush() == []  # nothing left pending on this thread
    messages = pull_all(subscriber, subscription, 120)
    by_id = {m.message_id: int(m.attributes["seq"]) for m in messages}
    assert [by_id[i] for i in ids] == list(range(120))
    # without an explicit trace every message still gets one (a fresh one per publish)
    assert all(len(m.attributes[TRACE_ATTRIBUTE]) == 32 for m in messages)


def test_a_lone_message_goes_out_at_flush_without_a_batch_window(
    pubsub_emulator: ServerProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A system function publishes one result per delivery and flushes before acking: the
    flush sends it at once, whatever hold time the client's own batching is given."""
    from strikeouts.settings import Settings

    monkeypatch.setenv("PUBSUB_EMULATOR_HOST", emulator_host(pubsub_emulator))
    settings = Settings(stack={"gcp_project": PROJECT, "publish_max_latency_seconds": 1.0})
    publisher = PubSubPublisher.from_settings(settings)
    topic = publisher.client.topic_path(PROJECT, f"t-{uuid.uuid4().hex[:10]}")
    publisher.client.create_topic(name=topic, timeout=10)

    def seconds_to_flush() -> float:
        publisher.publish_raw(topic.rsplit("/", 1)[1], b"{}")
        started = time.perf_counter()
        publisher.flush()
        return time.perf_counter() - started

    seconds_to_flush()  # the first publish opens a channel
    assert min(seconds_to_flush() for _ in range(5)) < 0.5


def test_flush_sends_each_topic_its_messages_and_returns_ids_in_publish_order(
    pubsub_emulator: ServerProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    from google.cloud.pubsub_v1 import PublisherClient, SubscriberClient

    monkeypatch.setenv("PUBSUB_EMULATOR_HOST", emulator_host(pubsub_emulator))
    client, subscriber = PublisherClient(batch_settings=batch_settings()), SubscriberClient()
    names = [f"t-{uuid.uuid4().hex[:10]}" for _ in range(2)]
    subscriptions = []
    for name in names:
        client.create_topic(name=client.topic_path(PROJECT, name), timeout=10)
        subscription = subscriber.subscription_path(PROJECT, f"{name}-pull")
        subscriber.create_subscription(
            name=subscription, topic=client.topic_path(PROJECT, name), timeout=10
        )
        subscriptions.append(subscription)
    publisher = PubSubPublisher(client, PROJECT, {"a": names[0], "b": names[1]}, timeout=10.0)
    order = ["a", "b", "a", "a", "b"]
    for i, topic in enumerate(order):
        publisher.publish_raw(topic, str(i).encode(), {"seq": str(i)})
    ids = publisher.flush()
    try:
        got = [
            pull_all(subscriber, s, order.count(t))
            for s, t in zip(subscriptions, "ab", strict=True)
        ]
    finally:
        subscriber.close()
    seq = {m.message_id: int(m.attributes["seq"]) for messages in got for m in messages}
    assert [seq[i] for i in ids] == list(range(len(order)))
    assert [sorted(int(m.data) for m in messages) for messages in got] == [[0, 2, 3], [1, 4]]


def test_flush_fails_fast_and_clearly_when_pubsub_is_down(monkeypatch: pytest.MonkeyPatch) -> None:
    from google.cloud.pubsub_v1 import PublisherClient

    monkeypatch.setenv("PUBSUB_EMULATOR_HOST", f"{HOST}:{free_port()}")  # nobody listens
    client = PublisherClient(batch_settings=batch_settings())
    publisher = PubSubPublisher(client, PROJECT, timeout=1.0)
    publisher.publish_raw("pitcher-games", b"{}")
    started = time.monotonic()
    with pytest.raises(PublishError, match=r"publishing failed after 0 of 1 messages") as err:
        publisher.flush()
    assert time.monotonic() - started < 10.0
    assert isinstance(err.value, TransientError)  # the delivery is retried, not acknowledged


# --- Cloud Storage: attempt counter and merge lease ----------------------------------------


@pytest.fixture
def storage_client(gcs_emulator: ServerProcess, monkeypatch: pytest.MonkeyPatch) -> Any:
    import google.cloud.storage as storage
    from google.auth.credentials import AnonymousCredentials

    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs_emulator.endpoint)
    client = storage.Client(project=PROJECT, credentials=AnonymousCredentials())
    bucket = f"adapters-{uuid.uuid4().hex[:10]}"
    client.create_bucket(bucket)
    client.test_bucket = bucket  # type: ignore[attr-defined]
    return client


def test_attempt_counter_counts_per_scope_and_message(storage_client: Any) -> None:
    counter = ObjectAttemptCounter.on_gcs(storage_client, storage_client.test_bucket, "delivery")
    assert [counter.increment("ensemble/pitcher-games", "m1") for _ in range(3)] == [1, 2, 3]
    assert counter.increment("ensemble/system-predictions", "m1") == 1
    assert counter.increment("ensemble/pitcher-games", "m2") == 1
    # a new instance (another function instance) continues the same count
    again = ObjectAttemptCounter.on_gcs(storage_client, storage_client.test_bucket, "delivery")
    assert again.increment("ensemble/pitcher-games", "m1") == 4


class _CountingObjects:
    """GcsObjects on fake-gcs-server, recording which operations the counter asked of it."""

    def __init__(self, inner: Any, calls: list[str]) -> None:
        self.inner, self.calls = inner, calls

    def uri(self, key: str) -> str:
        return str(self.inner.uri(key))

    def read(self, key: str) -> Any:
        self.calls.append("read")
        return self.inner.read(key)

    def create(self, key: str, data: bytes) -> bool:
        self.calls.append("create")
        return bool(self.inner.create(key, data))

    def swap(self, key: str, data: bytes, expected: str | None) -> bool:
        self.calls.append("swap")
        return bool(self.inner.swap(key, data, expected))


def test_attempt_counter_first_failure_costs_one_write(storage_client: Any) -> None:
    from strikeouts.cloud.gcs_models import GcsObjects

    objects = GcsObjects(storage_client.test_bucket, "delivery", client=storage_client)
    calls: list[str] = []
    counter = ObjectAttemptCounter(_CountingObjects(objects, calls))  # type: ignore[arg-type]
    assert counter.increment("ensemble/system-predictions", "once") == 1
    assert calls == ["create"]  # no read of an object that cannot exist yet
    calls.clear()
    assert counter.increment("ensemble/system-predictions", "once") == 2
    assert calls == ["read", "swap"]  # counted here before: no create bound to fail
    # another instance, which never counted it: its create fails, then read and swap
    other_calls: list[str] = []
    other = ObjectAttemptCounter(_CountingObjects(objects, other_calls))  # type: ignore[arg-type]
    assert other.increment("ensemble/system-predictions", "once") == 3
    assert other_calls == ["create", "read", "swap"]


def test_attempt_counter_loses_no_increment_under_concurrency(storage_client: Any) -> None:
    counter = ObjectAttemptCounter.on_gcs(storage_client, storage_client.test_bucket, "delivery")
    seen: list[int] = []
    lock = threading.Lock()

    def bump() -> None:
        for _ in range(3):
            value = counter.increment("fanout/game-schedule", "same")
            with lock:
                seen.append(value)

    threads = [threading.Thread(target=bump) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    # compare-and-swap on the generation: every increment got its own value
    assert sorted(seen) == list(range(1, 13))


def test_lease_is_held_by_one_at_a_time_and_expires(storage_client: Any) -> None:
    first = GcsLease(storage_client, storage_client.test_bucket, "locks/m")
    second = GcsLease(storage_client, storage_client.test_bucket, "locks/m")
    assert first.acquire(0)
    assert not second.acquire(0.3)
    first.release()
    assert second.acquire(0)
    second.release()
    dead = GcsLease(storage_client, storage_client.test_bucket, "locks/x", ttl=dt.timedelta(0))
    assert dead.acquire(0)  # and never released: its holder died
    assert GcsLease(storage_client, storage_client.test_bucket, "locks/x").acquire(1.0)


# --- BigQuery: staging → MERGE -------------------------------------------------------------


@pytest.fixture
def staging_warehouse(fresh_dataset: BigQueryWarehouse) -> BigQueryWarehouse:
    return fresh_dataset


def final_rows(warehouse: BigQueryWarehouse) -> Any:
    return warehouse.query(
        f"SELECT * FROM {PREDICTIONS} ORDER BY pitcher_id, system_id"
    ).reset_index(drop=True)


def test_rows_staged_twice_merge_to_one_row_per_key(staging_warehouse: BigQueryWarehouse) -> None:
    sink = StagedPredictionSink(staging_warehouse)
    merger = StagingMerger(staging_warehouse, grace=dt.timedelta(seconds=60))
    sink.write([row(1), row(1, "v1_6_rolling")])
    sink.write([row(1), row(2)])  # a duplicate delivery re-stages row 1
    assert merger.pending() == 4
    first = merger.merge()
    assert first.inserted == 3
    assert merger.merge().inserted == 0  # merging again is a no-op
    rows = final_rows(staging_warehouse)
    assert list(zip(rows["pitcher_id"], rows["system_id"], strict=True)) == [
        (1, "v1_6_rolling"),
        (1, "v1_baseline"),
        (2, "v1_baseline"),
    ]
    assert list(rows["red_flags"][0]) == ["short_rest"]
    assert pd.Timestamp(rows["game_date"][0]).date() == dt.date(2025, 6, 10)


def test_first_staged_copy_wins_and_old_rows_are_cleared(
    staging_warehouse: BigQueryWarehouse,
) -> None:
    times = iter([CREATED, CREATED + dt.timedelta(seconds=1)])
    sink = StagedPredictionSink(staging_warehouse, clock=lambda: next(times))
    sink.write([row(5, predicted_strikeouts=4.0)])
    sink.write([row(5, predicted_strikeouts=9.0)])
    merger = StagingMerger(staging_warehouse, grace=dt.timedelta(seconds=60))
    result = merger.merge()  # both staged long before now - grace: merged, then cleared
    assert (result.inserted, result.cleared) == (1, 2)
    assert merger.pending() == 0
    assert final_rows(staging_warehouse)["predicted_strikeouts"].tolist() == [4.0]


def test_a_row_staged_during_the_merge_is_kept_for_the_next_one(
    staging_warehouse: BigQueryWarehouse,
) -> None:
    sink = StagedPredictionSink(staging_warehouse)
    # zero grace: the clear takes everything staged before the merge started
    merger = StagingMerger(staging_warehouse, grace=dt.timedelta(0))
    sink.write([row(1)])
    original = merger._dml

    def merge_then_stage(sql: str, params: Any) -> int:
        affected = original(sql, params)
        if sql.startswith("MERGE") and "restore`, FALSE) = FALSE" in sql:
            sink.write([row(2)])  # lands after the MERGE read staging, before the clear
        return affected

    merger._dml = merge_then_stage  # type: ignore[method-assign]
    result = merger.merge()
    assert (result.inserted, result.cleared) == (1, 1)
    assert merger.pending() == 1  # row 2 survived the clear
    merger._dml = original  # type: ignore[method-assign]
    assert merger.merge().inserted == 1
    assert final_rows(staging_warehouse)["pitcher_id"].tolist() == [1, 2]


def test_an_invalid_row_is_refused_before_anything_is_staged(
    staging_warehouse: BigQueryWarehouse,
) -> None:
    sink = StagedPredictionSink(staging_warehouse)
    with pytest.raises(WarehouseError, match=r"pitcher_strikeout_predictions\.team is REQUIRED"):
        sink.write([row(1), row(2, team=None)])
    merger = StagingMerger(staging_warehouse)
    assert merger.pending() == 0
    table = staging_warehouse.client.get_table(
        staging_warehouse.table_id(staging_table(PREDICTIONS))
    )
    assert [f.name for f in table.schema][-3:] == ["staged_at", "batch_id", "restore"]


def test_a_replay_restores_exactly_the_rows_the_final_table_lost(
    staging_warehouse: BigQueryWarehouse,
) -> None:
    sink = StagedPredictionSink(staging_warehouse)
    merger = StagingMerger(staging_warehouse, grace=dt.timedelta(0))
    rows = [row(1), row(1, "v1_6_rolling"), row(2)]
    sink.write(rows)
    assert (merger.merge().inserted, merger.pending()) == (3, 0)
    # the final table loses one row (a restore from an older copy, a bad DELETE)
    staging_warehouse.execute(
        f"DELETE FROM {PREDICTIONS} WHERE pitcher_id = 1 AND system_id = 'v1_6_rolling'"
    )
    assert sink.restore(rows) == 3  # a replay re-offers the whole pitcher-games
    result = merger.merge()
    assert (result.inserted, result.restored) == (1, 1)
    assert len(final_rows(staging_warehouse)) == 3
    # a replay over complete rows restores nothing and adds no duplicate
    sink.restore(rows)
    assert (merger.merge().inserted, len(final_rows(staging_warehouse))) == (0, 3)


def test_a_row_written_and_restored_in_one_window_is_not_counted_as_restored(
    staging_warehouse: BigQueryWarehouse,
) -> None:
    sink = StagedPredictionSink(staging_warehouse)
    merger = StagingMerger(staging_warehouse, grace=dt.timedelta(0))
    sink.restore([row(3)])  # a late registration may re-offer before the tick merged
    sink.write([row(3), row(4)])
    result = merger.merge()
    assert (result.inserted, result.restored) == (2, 0)


def test_a_merge_runs_only_the_jobs_its_staged_rows_need(
    staging_warehouse: BigQueryWarehouse,
) -> None:
    """Nothing staged: no job (a free tabledata.list decides); rows staged: ONE MERGE (the
    restore MERGE only when a replay staged restores) and the clear; merged and cleared: idle
    again. Every MERGE or DELETE bills at least 10 MB per table in real BigQuery."""
    sink = StagedPredictionSink(staging_warehouse)
    # zero grace: what was staged before a merge started is merged and cleared by it
    merger = StagingMerger(staging_warehouse, grace=dt.timedelta(0))
    statements: list[str] = []
    original = merger._dml

    def counting(sql: str, params: Any) -> int:
        statements.append(sql.split()[0])
        return original(sql, params)

    merger._dml = counting  # type: ignore[method-assign]
    assert merger.merge().idle and statements == []
    sink.write([row(1), row(2)])
    result = merger.merge()
    assert (result.inserted, result.cleared, statements) == (2, 2, ["MERGE", "DELETE"])
    assert merger.merge().idle and statements == ["MERGE", "DELETE"]
    sink.restore([row(1)])
    assert merger.merge().restored == 0
    assert statements[2:] == ["MERGE", "MERGE", "DELETE"]  # a restore staged: both MERGEs


def test_a_merge_waits_for_the_lease_or_skips(
    staging_warehouse: BigQueryWarehouse, storage_client: Any
) -> None:
    holder = GcsLease(storage_client, storage_client.test_bucket, "locks/merge")
    merger = StagingMerger(
        staging_warehouse, lease=GcsLease(storage_client, storage_client.test_bucket, "locks/merge")
    )
    StagedPredictionSink(staging_warehouse).write([row(3)])
    assert holder.acquire(0)
    skipped = merger.merge(wait=0.3)
    assert skipped.skipped and skipped.inserted == 0
    holder.release()
    assert merger.merge(wait=5.0).inserted == 1


def test_a_warehouse_ensures_its_staging_tables_once(
    staging_warehouse: BigQueryWarehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A function builds a sink and a merger at cold start: the tables are checked once."""
    calls = []
    create = staging_warehouse.client.create_table

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(args[0])
        return create(*args, **kwargs)

    monkeypatch.setattr(staging_warehouse.client, "create_table", counting)
    StagedPredictionSink(staging_warehouse)
    first = len(calls)
    StagingMerger(staging_warehouse)
    StagedPredictionSink(staging_warehouse).write([row(1)])
    assert first >= 1 and len(calls) == first


def test_a_staging_table_from_an_older_schema_gains_the_new_columns(
    staging_warehouse: BigQueryWarehouse,
) -> None:
    from google.cloud import bigquery

    from strikeouts.cloud.staging import ensure_staging, staging_fields

    staging_id = staging_warehouse.table_id(staging_table(PREDICTIONS))
    old = [f for f in staging_fields(PREDICTIONS) if f["name"] not in ("restore", "agreement")]
    staging_warehouse.ensure_tables([PREDICTIONS])
    staging_warehouse.client.create_table(
        bigquery.Table(staging_id, schema=[bigquery.SchemaField.from_api_repr(f) for f in old])
    )
    ensure_staging(staging_warehouse)
    names = {f.name for f in staging_warehouse.client.get_table(staging_id).schema}
    assert {"restore", "agreement"} <= names
    # (streaming into the widened table is BigQuery's to honour; bqemulator answers 500 there)
