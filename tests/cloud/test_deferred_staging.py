"""The deferred staging sink on the real servers: many deliveries' rows staged by few inserts on
bqemulator, callbacks only after their insert, failures kept and retried, backpressure, bad rows
refused at once; and the ensemble on fake-gcs-server state with it — a state stays unwritten
until its rows are staged, and an instance that dies before flushing is repaired by the tick
with exactly one row per key after the MERGE."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import pytest
from pipeline.doubles import StubFeatures, schedule_event, two_system_config, two_systems

from strikeouts.cloud.bigquery_warehouse import BigQueryWarehouse
from strikeouts.cloud.deferred import DeferredStagedSink
from strikeouts.cloud.gcs_state import GcsStateStore
from strikeouts.cloud.staging import StagedPredictionSink, StagingMerger, staging_table
from strikeouts.devstack.emulators import ServerProcess
from strikeouts.names import GAME_SCHEDULE, PREDICTIONS
from strikeouts.pipeline.bus import FaultPlan
from strikeouts.pipeline.clock import FakeClock
from strikeouts.pipeline.embedded import EmbeddedPipeline, build_embedded
from strikeouts.pipeline.errors import TransientError
from strikeouts.pipeline.handlers import EnsembleHandler
from strikeouts.pipeline.messages import PitcherGameKey
from strikeouts.pipeline.ports import (
    AggregationStateStore,
    DeferredPredictionSink,
    PredictionSink,
)
from strikeouts.pipeline.state_cache import CachedStateStore
from strikeouts.runtime.sinks import WarehouseRejectionSink
from strikeouts.warehouse.base import WarehouseError
from strikeouts.warehouse.duckdb_backend import DuckDBWarehouse

from .doubles import prediction_row as row

pytestmark = pytest.mark.emulator

PROJECT = "deferred-test"
ROW_KEY = ["run_id", "game_id", "pitcher_id", "system_id"]
# long enough that nothing is inserted before the test asks (flush, close, max_rows)
NEVER = 3600.0
FAST_BACKOFF = (0.05, 0.2)


# --- fixtures ------------------------------------------------------------------------------


@pytest.fixture
def bq(fresh_dataset: BigQueryWarehouse) -> BigQueryWarehouse:
    return fresh_dataset


class InsertSpy:
    """Counts the staging inserts that reach bqemulator and the row keys each one carried."""

    def __init__(self, warehouse: BigQueryWarehouse) -> None:
        self.batches: list[list[tuple[Any, ...]]] = []
        self.calls = 0
        self._real = warehouse.client.insert_rows_json
        self._lock = threading.Lock()

    def __call__(self, table: Any, rows: Sequence[Mapping[str, Any]], **kwargs: Any) -> Any:
        with self._lock:
            self.calls += 1
        errors = self._real(table, rows, **kwargs)
        if not errors:
            with self._lock:
                self.batches.append([tuple(r[k] for k in ROW_KEY) for r in rows])
        return errors

    def staged(self) -> set[tuple[Any, ...]]:
        with self._lock:
            return {key for batch in self.batches for key in batch}


@pytest.fixture
def spy(bq: BigQueryWarehouse, monkeypatch: pytest.MonkeyPatch) -> InsertSpy:
    found = InsertSpy(bq)
    monkeypatch.setattr(bq.client, "insert_rows_json", found)
    return found


@pytest.fixture
def make_sink(bq: BigQueryWarehouse) -> Iterator[Callable[..., DeferredStagedSink]]:
    """Deferred sinks on the test dataset, closed (without waiting on a dead server) at the end."""
    made: list[DeferredStagedSink] = []

    def make(**kwargs: Any) -> DeferredStagedSink:
        kwargs.setdefault("backoff", FAST_BACKOFF)
        sink = DeferredStagedSink(StagedPredictionSink(bq), flush_at_exit=False, **kwargs)
        made.append(sink)
        return sink

    yield make
    for sink in made:
        sink.close(timeout=10.0)


def pitcher_game_rows(pitcher_id: int) -> list[dict[str, Any]]:
    """What one finalization writes: two system rows and the ensemble row."""
    return [row(pitcher_id, s) for s in ("v1_baseline", "v1_6_rolling", "ensemble_v1")]


def key_of(r: Mapping[str, Any]) -> tuple[Any, ...]:
    return tuple(r[k] for k in ROW_KEY)


def staged_keys(bq: BigQueryWarehouse) -> list[tuple[Any, ...]]:
    frame = bq.query(
        f"SELECT run_id, game_id, pitcher_id, system_id FROM {staging_table(PREDICTIONS)}"
    )
    return [tuple(r) for r in frame.itertuples(index=False)]


def wait_until(what: str, done: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.02)


class Calls:
    """``done`` callbacks that record when they ran and what the spy had staged by then."""

    def __init__(self, spy: InsertSpy) -> None:
        self.spy = spy
        self.ran: dict[int, int] = {}
        self.staged_first: dict[int, bool] = {}
        self.threads: set[str] = set()
        self._lock = threading.Lock()

    def done_for(self, call_id: int, rows: Sequence[Mapping[str, Any]]) -> Callable[[], None]:
        keys = {key_of(r) for r in rows}

        def done() -> None:
            staged = keys <= self.spy.staged()
            with self._lock:
                self.ran[call_id] = self.ran.get(call_id, 0) + 1
                self.staged_first[call_id] = staged
                self.threads.add(threading.current_thread().name)

        return done


# --- the sink ------------------------------------------------------------------------------


def test_concurrent_writes_are_staged_by_few_inserts_each_row_once(
    bq: BigQueryWarehouse, spy: InsertSpy, make_sink: Callable[..., DeferredStagedSink]
) -> None:
    sink = make_sink(interval=0.2)
    assert isinstance(sink, DeferredPredictionSink)  # what the ensemble looks for
    calls = Calls(spy)
    threads, per_thread = 8, 25

    def deliveries(t: int) -> None:
        for i in range(per_thread):
            rows = pitcher_game_rows(1000 * t + i)
            sink.write_then(rows, calls.done_for(1000 * t + i, rows))
            time.sleep(0.01)  # deliveries arrive over several intervals, not in one burst

    workers = [threading.Thread(target=deliveries, args=(t,)) for t in range(threads)]
    started = time.monotonic()
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=60)
    span = time.monotonic() - started
    assert sink.flush(timeout=60)

    n = threads * per_thread
    assert len(calls.ran) == n and set(calls.ran.values()) == {1}  # each callback once
    assert all(calls.staged_first.values())  # ... and only after its rows were inserted
    assert calls.threads == {"deferred-staging"}  # on the flusher, not the delivery threads
    # an insert at most every interval while the deliveries came (+ the flush, + 600 rows
    # being more than one 500-row batch): a handful of inserts for 200 deliveries
    assert spy.calls == sink.inserts <= span / 0.2 + 3
    assert spy.calls < n // 4, (spy.calls, span)
    keys = staged_keys(bq)
    assert len(keys) == len(set(keys)) == 3 * n  # every row staged exactly once
    assert sink.pending == 0


def test_a_full_batch_goes_without_waiting_for_the_interval(
    bq: BigQueryWarehouse, spy: InsertSpy, make_sink: Callable[..., DeferredStagedSink]
) -> None:
    sink = make_sink(interval=NEVER, max_rows=6)
    sink.write_then(pitcher_game_rows(1), lambda: None)
    time.sleep(0.3)
    assert spy.calls == 0  # 3 of 6 rows: waiting for the interval
    sink.write_then(pitcher_game_rows(2), lambda: None)
    wait_until("the full batch's insert", lambda: sink.pending == 0)
    assert spy.calls == 1 and len(staged_keys(bq)) == 6


def test_a_failed_insert_keeps_its_rows_calls_nothing_back_and_succeeds_on_retry(
    bq: BigQueryWarehouse, spy: InsertSpy, make_sink: Callable[..., DeferredStagedSink]
) -> None:
    sink = make_sink(interval=0.05)
    real_table = sink.staged.staging_id
    sink.staged.staging_id = bq.table_id("no_such_staging")  # bqemulator answers 404
    calls = Calls(spy)
    first, second = pitcher_game_rows(1), pitcher_game_rows(2)
    sink.write_then(first, calls.done_for(1, first))
    sink.write_then(second, calls.done_for(2, second))
    wait_until("two failed inserts", lambda: sink.failed_inserts >= 2)
    assert calls.ran == {}  # nothing is durable: nobody is told it is
    assert sink.pending == 6 and sink.inserts == 0
    assert staged_keys(bq) == []

    sink.staged.staging_id = real_table  # the service is back
    assert sink.flush(timeout=30)
    assert calls.ran == {1: 1, 2: 1} and all(calls.staged_first.values())
    keys = staged_keys(bq)
    assert sorted(keys) == sorted(key_of(r) for r in first + second)
    assert sink.inserts == 1  # the kept rows went together


def test_past_max_pending_writes_are_refused_as_transient(
    bq: BigQueryWarehouse, spy: InsertSpy, make_sink: Callable[..., DeferredStagedSink]
) -> None:
    sink = make_sink(interval=0.05, max_pending=6)
    real_table = sink.staged.staging_id
    sink.staged.staging_id = bq.table_id("no_such_staging")
    sink.write_then(pitcher_game_rows(1), lambda: None)
    sink.write_then(pitcher_game_rows(2), lambda: None)
    with pytest.raises(TransientError, match=r"6 rows are waiting to be staged \(at most 6\)"):
        sink.write_then(pitcher_game_rows(3), lambda: None)
    assert sink.pending == 6 and sink.refused == 1

    sink.staged.staging_id = real_table
    assert sink.flush(timeout=30)
    sink.write_then(pitcher_game_rows(3), lambda: None)  # room again: accepted
    assert sink.flush(timeout=30)
    assert len(staged_keys(bq)) == 9


def test_a_bad_row_fails_its_call_naming_the_column_and_nothing_is_queued(
    bq: BigQueryWarehouse, spy: InsertSpy, make_sink: Callable[..., DeferredStagedSink]
) -> None:
    sink = make_sink(interval=0.05)
    called: list[int] = []
    with pytest.raises(WarehouseError, match=r"pitcher_strikeout_predictions\.team is REQUIRED"):
        sink.write_then([row(1), row(2, team=None)], lambda: called.append(1))
    assert sink.pending == 0
    assert sink.flush(timeout=5)
    assert spy.calls == 0 and called == []


def test_rows_the_server_calls_invalid_drop_only_their_own_call(
    bq: BigQueryWarehouse,
    make_sink: Callable[..., DeferredStagedSink],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # BigQuery refuses a whole request for one invalid row: the blamed row "invalid", the
    # others "stopped". Validation catches what we know of; this stands for what it cannot.
    real = bq.client.insert_rows_json
    poison = 666

    def refusing(table: Any, rows: Sequence[Mapping[str, Any]], **kwargs: Any) -> Any:
        blamed = [i for i, r in enumerate(rows) if r["pitcher_id"] == poison]
        if blamed:
            return [
                {"index": i, "errors": [{"reason": "invalid" if i in blamed else "stopped"}]}
                for i in range(len(rows))
            ]
        return real(table, rows, **kwargs)

    monkeypatch.setattr(bq.client, "insert_rows_json", refusing)
    sink = make_sink(interval=NEVER)
    called: list[int] = []
    for pid in (1, poison, 2):
        sink.write_then(pitcher_game_rows(pid), lambda pid=pid: called.append(pid))
    assert sink.flush(timeout=30)
    assert called == [1, 2]  # the poison's state stays unwritten: the tick reports it
    assert sorted(k[2] for k in staged_keys(bq)) == [1, 1, 1, 2, 2, 2]


def test_flush_and_close_drain_and_a_closed_sink_refuses(
    bq: BigQueryWarehouse, spy: InsertSpy, make_sink: Callable[..., DeferredStagedSink]
) -> None:
    sink = make_sink(interval=NEVER)
    calls = Calls(spy)
    rows = pitcher_game_rows(1)
    sink.write_then(rows, calls.done_for(1, rows))
    assert sink.flush(timeout=30)
    assert calls.ran == {1: 1} and spy.calls == 1
    more = pitcher_game_rows(2)
    sink.write_then(more, calls.done_for(2, more))
    assert sink.close(timeout=30)
    assert calls.ran == {1: 1, 2: 1} and spy.calls == 2
    assert len(staged_keys(bq)) == 6
    with pytest.raises(TransientError, match="closed"):
        sink.write_then(pitcher_game_rows(3), lambda: None)


def test_a_plain_write_is_staged_before_it_returns(
    bq: BigQueryWarehouse, spy: InsertSpy, make_sink: Callable[..., DeferredStagedSink]
) -> None:
    # a late result's row: no state marks it written, so no queue may hold it
    sink = make_sink(interval=NEVER)
    sink.write_then(pitcher_game_rows(1), lambda: None)
    assert sink.write([row(2, "v1_6_rolling", late=True)]) == 1
    assert spy.calls == 1 and staged_keys(bq) == [("run-1", "NYA202506102", 2, "v1_6_rolling")]
    assert sink.pending == 3  # the queued call still waits for its interval


def test_a_callback_that_fails_is_logged_and_the_flusher_goes_on(
    bq: BigQueryWarehouse, spy: InsertSpy, make_sink: Callable[..., DeferredStagedSink]
) -> None:
    sink = make_sink(interval=NEVER)

    def broken() -> None:
        raise TransientError("GCS said 503")

    called: list[int] = []
    sink.write_then(pitcher_game_rows(1), broken)
    sink.write_then(pitcher_game_rows(2), lambda: called.append(2))
    assert sink.flush(timeout=30)
    sink.write_then(pitcher_game_rows(3), lambda: called.append(3))
    assert sink.flush(timeout=30)
    assert called == [2, 3] and sink.callback_errors == 1
    assert len(staged_keys(bq)) == 9


# --- the ensemble with it ------------------------------------------------------------------


@pytest.fixture
def bucket(gcs_emulator: ServerProcess, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs_emulator.endpoint)
    name = f"deferred-{uuid.uuid4().hex[:10]}"
    gcs_client().create_bucket(name)
    return name


def gcs_client() -> Any:
    import google.cloud.storage as storage
    from google.auth.credentials import AnonymousCredentials

    return storage.Client(project=PROJECT, credentials=AnonymousCredentials())


def instance_store(bucket: str) -> CachedStateStore:
    """One function instance's state store: its own client and cache over the shared bucket."""
    return CachedStateStore(GcsStateStore(gcs_client(), bucket))


def pipeline(
    store: AggregationStateStore,
    sink: PredictionSink,
    clock: FakeClock,
    tmp_path: Any,
    faults: FaultPlan | None = None,
) -> EmbeddedPipeline:
    rejections = DuckDBWarehouse(tmp_path / f"rejections-{uuid.uuid4().hex[:6]}.duckdb")
    return build_embedded(
        predictors=two_systems(6.0, 7.0),
        features=StubFeatures(),
        store=store,
        sink=sink,
        rejections=WarehouseRejectionSink(rejections),
        config=two_system_config(),
        clock=clock,
        faults=faults,
    )


def run_games(pipe: EmbeddedPipeline, clock: FakeClock, run_id: str, games: int = 3) -> None:
    pipe.bus.publish(GAME_SCHEDULE, schedule_event(clock, run_id, games=games))
    pipe.bus.run()


def written(store: AggregationStateStore, keys: Sequence[PitcherGameKey]) -> list[bool]:
    states = [store.load(k) for k in keys]
    return [s is not None and bool(s.state["written"]) for s in states]


def final_keys(bq: BigQueryWarehouse) -> list[tuple[Any, ...]]:
    frame = bq.query(f"SELECT run_id, game_id, pitcher_id, system_id FROM {PREDICTIONS}")
    return [tuple(r) for r in frame.itertuples(index=False)]


def test_the_ensemble_marks_a_state_written_only_after_its_rows_are_staged(
    bq: BigQueryWarehouse,
    bucket: str,
    spy: InsertSpy,
    make_sink: Callable[..., DeferredStagedSink],
    tmp_path: Any,
) -> None:
    clock = FakeClock()
    store = instance_store(bucket)
    sink = make_sink(interval=NEVER)
    pipe = pipeline(store, sink, clock, tmp_path)
    run_games(pipe, clock, "deferred-1")

    keys = store.inner.due(clock.now())  # finalized, not written: all six
    assert len(keys) == 6
    assert written(instance_store(bucket), keys) == [False] * 6  # another instance's view
    assert spy.calls == 0 and sink.pending == 18

    assert sink.flush(timeout=60)
    assert spy.calls == 1  # six finalizations, one insert
    assert written(instance_store(bucket), keys) == [True] * 6
    assert store.inner.due(clock.now()) == []
    assert len(staged_keys(bq)) == 18


def test_rows_lost_with_an_instance_are_rewritten_by_the_tick_once_per_key(
    bq: BigQueryWarehouse,
    bucket: str,
    spy: InsertSpy,
    make_sink: Callable[..., DeferredStagedSink],
    tmp_path: Any,
) -> None:
    clock = FakeClock()
    sink = make_sink(interval=NEVER)
    pipe = pipeline(instance_store(bucket), sink, clock, tmp_path, FaultPlan(3, duplicate=0.5))
    run_games(pipe, clock, "survives", games=2)
    assert sink.flush(timeout=60)  # 4 pitcher-games staged and marked
    run_games(pipe, clock, "dies", games=3)
    assert sink.pending > 0
    assert not sink.close(drain=False)  # the instance dies: 6 pitcher-games' rows are gone
    assert sorted({k[0] for k in staged_keys(bq)}) == ["survives"]

    # the tick: another instance, synchronous staging, then the merge
    tick_store = instance_store(bucket)
    tick = EnsembleHandler(tick_store, StagedPredictionSink(bq), two_system_config(), clock)
    repaired = tick.tick()
    assert sorted({k.run_id for k in repaired}) == ["dies"] and len(repaired) == 6
    assert tick.tick() == []  # all written now
    StagingMerger(bq).merge()
    keys = final_keys(bq)
    assert len(keys) == len(set(keys)) == (4 + 6) * 3  # one row per key, none lost
    assert written(tick_store, repaired) == [True] * 6
