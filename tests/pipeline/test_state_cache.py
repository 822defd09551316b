"""The per-instance state cache on the real DuckDB store: reads saved, stale copies corrected by
exactly one conflict, nothing poisoned, the LRU bound; and the ensemble on cached stores — one
instance under duplicates and reordering, and two instances whose caches go stale."""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest

from strikeouts.names import ENSEMBLE_TICKS, GAME_SCHEDULE, PITCHER_GAMES, SYSTEM_PREDICTIONS
from strikeouts.pipeline.bus import FaultPlan
from strikeouts.pipeline.clock import FakeClock
from strikeouts.pipeline.embedded import EmbeddedPipeline, build_embedded
from strikeouts.pipeline.errors import StateConflict, TransientError
from strikeouts.pipeline.handlers import EnsembleHandler
from strikeouts.pipeline.messages import PitcherGameKey
from strikeouts.pipeline.ports import AggregationStateStore, PredictionSink, Predictor, Versioned
from strikeouts.pipeline.state import compare_and_set
from strikeouts.pipeline.state_cache import CachedStateStore
from strikeouts.runtime.sinks import WarehousePredictionSink, WarehouseRejectionSink
from strikeouts.runtime.state_store import DuckDBStateStore
from strikeouts.warehouse.duckdb_backend import DuckDBWarehouse

from .doubles import CountingStore, StubFeatures, schedule_event, two_system_config, two_systems

KEY = PitcherGameKey("run-1", "NYY202406010", 600000)
NOW = datetime(2024, 6, 1, 12, tzinfo=UTC)
ROW_KEY = ["run_id", "game_id", "pitcher_id", "system_id"]


def put(store: AggregationStateStore, state: dict[str, Any], expected: int | None) -> int:
    return store.save(
        KEY, state, expected_version=expected, deadline=NOW, finalized=False, written=False, now=NOW
    )


def append(item: str) -> Any:
    def mutate(state: dict[str, Any] | None) -> dict[str, Any] | None:
        state = state or {"items": []}
        state["items"].append(item)
        return state

    return mutate


def cas(store: AggregationStateStore, mutate: Any) -> tuple[Versioned | None, bool]:
    return compare_and_set(store, KEY, mutate, deadline_of=lambda _: NOW, now=NOW, attempts=3)


@pytest.fixture
def con(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(tmp_path / "state.duckdb"))


# --- the decorator -------------------------------------------------------------------------


def test_a_cached_load_skips_the_store_and_hands_out_a_private_copy(
    con: duckdb.DuckDBPyConnection,
) -> None:
    spy = CountingStore(DuckDBStateStore(con))
    cache = CachedStateStore(spy)
    put(cache, {"items": ["a"]}, None)
    loaded = cache.load(KEY)
    assert loaded == Versioned(1, {"items": ["a"]}) and spy.loads == 0
    assert loaded is not None
    loaded.state["items"].append("mutated by the caller")
    assert cache.load(KEY) == Versioned(1, {"items": ["a"]})
    stored, changed = cas(cache, append("b"))
    assert changed and stored == Versioned(2, {"items": ["a", "b"]})
    assert (spy.loads, spy.saves) == (0, 2)  # read-modify-write without reading the store
    # another instance (a cold cache over the same store) reads once, then from memory
    cold = CachedStateStore(spy)
    assert cold.load(KEY) == cold.load(KEY) == Versioned(2, {"items": ["a", "b"]})
    assert spy.loads == 1 and (cold.hits, cold.misses) == (1, 1)
    assert cold.load(PitcherGameKey("run-1", "NYY202406010", 1)) is None
    assert cold.load(PitcherGameKey("run-1", "NYY202406010", 1)) is None
    assert spy.loads == 3  # absence is never cached


def test_a_write_by_another_instance_costs_our_stale_copy_exactly_one_conflict(
    con: duckdb.DuckDBPyConnection,
) -> None:
    spy = CountingStore(DuckDBStateStore(con))
    ours = CachedStateStore(spy)
    theirs = DuckDBStateStore(con.cursor())  # another function instance, same storage
    put(ours, {"items": []}, None)
    assert cas(theirs, append("theirs"))[0] == Versioned(2, {"items": ["theirs"]})
    assert ours.load(KEY) == Versioned(1, {"items": []})  # stale, as expected of a cache

    stored, changed = cas(ours, append("ours"))
    assert changed and stored == Versioned(3, {"items": ["theirs", "ours"]})
    assert (spy.conflicts, spy.loads) == (1, 1)  # one 412, one re-read of the truth
    assert theirs.load(KEY) == stored
    assert ours.load(KEY) == stored and spy.loads == 1  # the write refreshed the cache


def test_nothing_a_failed_mutation_or_write_did_reaches_the_cache(
    con: duckdb.DuckDBPyConnection,
) -> None:
    spy = CountingStore(DuckDBStateStore(con))
    cache = CachedStateStore(spy)
    state = {"items": ["a"]}
    put(cache, state, None)
    state["items"].append("changed after the save")  # the caller keeps its dict

    def half_then_fail(current: dict[str, Any] | None) -> dict[str, Any] | None:
        assert current is not None
        current["items"].append("half-applied")
        raise RuntimeError("mutation failed")

    with pytest.raises(RuntimeError, match="mutation failed"):
        cas(cache, half_then_fail)
    assert cache.load(KEY) == Versioned(1, {"items": ["a"]}) and spy.loads == 0

    # a write whose outcome is unknown (a lost response): forget, re-read the truth
    spy.fail_next_save = TransientError("connection reset")
    with pytest.raises(TransientError):
        put(cache, {"items": ["a", "lost?"]}, 1)
    assert len(cache) == 0
    assert cache.load(KEY) == Versioned(1, {"items": ["a"]}) and spy.loads == 1

    # a write naming a wrong version: a conflict, and the entry goes with it
    with pytest.raises(StateConflict):
        put(cache, {"items": ["stale"]}, 7)
    assert len(cache) == 0
    assert cache.load(KEY) == Versioned(1, {"items": ["a"]}) and spy.loads == 2


def test_the_cache_keeps_only_the_most_recently_used_keys(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(ValueError, match="capacity"):
        CachedStateStore(DuckDBStateStore(con), capacity=0)
    spy = CountingStore(DuckDBStateStore(con))
    cache = CachedStateStore(spy, capacity=2)
    keys = [PitcherGameKey("run-1", "NYY202406010", pitcher) for pitcher in (1, 2, 3)]

    def create(key: PitcherGameKey) -> None:
        cache.save(
            key, {"p": key.pitcher_id}, expected_version=None, deadline=NOW, finalized=False,
            written=False, now=NOW,
        )  # fmt: skip

    create(keys[0])
    create(keys[1])
    cache.load(keys[0])  # now the most recently used
    create(keys[2])  # evicts keys[1]
    assert len(cache) == 2
    assert [cache.load(k) for k in (keys[0], keys[2])] == [
        Versioned(1, {"p": 1}),
        Versioned(1, {"p": 3}),
    ]
    assert spy.loads == 0
    assert cache.load(keys[1]) == Versioned(1, {"p": 2}) and spy.loads == 1
    assert len(cache) == 2


def test_a_slower_thread_never_puts_back_an_older_version(
    con: duckdb.DuckDBPyConnection,
) -> None:
    cache = CachedStateStore(DuckDBStateStore(con))
    put(cache, {"items": []}, None)
    cas(cache, append("a"))
    cache._remember(KEY, 1, '{"items": []}')  # what a thread that read version 1 late would do
    assert cache.load(KEY) == Versioned(2, {"items": ["a"]})


def test_due_keys_are_read_from_the_store_and_versions_are_the_store_s(
    con: duckdb.DuckDBPyConnection,
) -> None:
    spy = CountingStore(DuckDBStateStore(con))
    cache = CachedStateStore(spy)
    put(cache, {"items": []}, None)
    cas(DuckDBStateStore(con.cursor()), append("theirs"))
    assert cache.due(NOW) == [KEY]  # the deadline passed: the tick will finalize it...
    assert cache.load(KEY) == Versioned(2, {"items": ["theirs"]})  # ...from the truth
    assert spy.loads == 1
    assert CachedStateStore(spy.inner).versions() == {KEY: 2}
    with pytest.raises(AttributeError, match="CountingStore does not list versions"):
        cache.versions()


# --- the ensemble on cached stores ---------------------------------------------------------


def pipeline(
    store: AggregationStateStore,
    warehouse: DuckDBWarehouse,
    clock: FakeClock,
    predictors: Sequence[Predictor],
    faults: FaultPlan | None = None,
    sink: PredictionSink | None = None,
) -> EmbeddedPipeline:
    return build_embedded(
        predictors=predictors,
        features=StubFeatures(),
        store=store,
        sink=sink or WarehousePredictionSink(warehouse),
        rejections=WarehouseRejectionSink(warehouse),
        config=two_system_config(),
        clock=clock,
        faults=faults,
    )


def predictions(warehouse: DuckDBWarehouse) -> pd.DataFrame:
    return warehouse.query(
        "SELECT * FROM pitcher_strikeout_predictions ORDER BY run_id, game_id, pitcher_id, system_id"
    )


def run_schedule(pipe: EmbeddedPipeline, clock: FakeClock, games: int) -> None:
    pipe.bus.publish(GAME_SCHEDULE, schedule_event(clock, games=games))
    pipe.bus.run()


FAULTS = {"duplicate": 0.4, "reorder": 0.6, "delay": 0.3, "max_delay_steps": 4}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_duplicates_and_reordering_on_a_cached_store_write_what_the_plain_store_writes(
    warehouse: DuckDBWarehouse, clock: FakeClock, tmp_path: Path, seed: int
) -> None:
    plain = CountingStore(DuckDBStateStore(tmp_path / "plain.duckdb"))
    reference = DuckDBWarehouse(tmp_path / "reference.duckdb")
    run_schedule(
        pipeline(plain, reference, clock, two_systems(6.0, 7.0), FaultPlan(seed, **FAULTS)),
        clock,
        3,
    )

    spy = CountingStore(DuckDBStateStore(tmp_path / "cached.duckdb"))
    cache = CachedStateStore(spy)
    pipe = pipeline(cache, warehouse, clock, two_systems(6.0, 7.0), FaultPlan(seed, **FAULTS))
    run_schedule(pipe, clock, 3)

    deliveries = [(r.subscription, r.message_id) for r in pipe.bus.history if r.outcome == "ack"]
    assert len(deliveries) > len(set(deliveries))  # some messages really were delivered twice
    frame = predictions(warehouse)
    assert len(frame) == 6 * 3 and not frame.duplicated(ROW_KEY).any()
    ensemble = frame[frame["system_id"] == "ensemble_v1"]
    assert ensemble["status"].eq("ok").all()
    assert ensemble["predicted_strikeouts"].tolist() == pytest.approx([6.625] * 6)
    pd.testing.assert_frame_equal(frame, predictions(reference))
    assert spy.saves == plain.saves  # the same writes...
    assert spy.loads < plain.loads  # ...with fewer reads
    assert spy.conflicts == plain.conflicts  # create-only guesses on duplicates, nothing else
    reference.close()


def test_two_instances_with_stale_caches_finalize_each_pitcher_game_once(
    warehouse: DuckDBWarehouse, clock: FakeClock, tmp_path: Path
) -> None:
    inner = DuckDBStateStore(tmp_path / "state.duckdb")
    spies = [CountingStore(DuckDBStateStore(inner.con.cursor())) for _ in range(2)]
    caches = [CachedStateStore(spy) for spy in spies]
    pipe = pipeline(caches[0], warehouse, clock, two_systems(6.0, 7.0), FaultPlan(4, **FAULTS))
    second = EnsembleHandler(caches[1], pipe.ensemble.sink, pipe.ensemble.config, clock)
    handlers = [pipe.ensemble, second]
    pick = random.Random(11)

    def routed(name: str) -> Any:
        # every delivery goes to one of the two instances, as Pub/Sub push would send it
        return lambda payload: getattr(handlers[pick.randrange(2)], name)(payload)

    for subscription, name in (("ensemble-register", "on_pitcher_game"), ("ensemble", "on_result")):
        sub = pipe.bus.subscriptions[subscription]
        pipe.bus.subscriptions[subscription] = dataclasses.replace(sub, handler=routed(name))
    run_schedule(pipe, clock, 3)

    assert sum(spy.conflicts for spy in spies) > 0  # the caches really went stale
    frame = predictions(warehouse)
    assert len(frame) == 6 * 3 and not frame.duplicated(ROW_KEY).any()
    ensemble = frame[frame["system_id"] == "ensemble_v1"]
    assert ensemble["status"].eq("ok").all()
    assert ensemble["predicted_strikeouts"].tolist() == pytest.approx([6.625] * 6)
    assert pipe.ensemble.tick() == [] and second.tick() == []  # everything written


def late_results(
    clock: FakeClock, warehouse: DuckDBWarehouse, pipe: EmbeddedPipeline
) -> list[bytes]:
    """The v1_6_rolling results for the pitcher-games ``pipe`` published."""
    _, rolling = two_systems(6.0, 7.0)
    other = pipeline(DuckDBStateStore(), warehouse, clock, [rolling])
    for envelope in pipe.bus.published:
        if envelope.topic == PITCHER_GAMES:
            other.systems["v1_6_rolling"](envelope.data)
    return [e.data for e in other.bus.published if e.topic == SYSTEM_PREDICTIONS]


def test_a_late_result_on_an_instance_that_missed_the_finalization_stays_late(
    warehouse: DuckDBWarehouse, clock: FakeClock, tmp_path: Path
) -> None:
    inner = DuckDBStateStore(tmp_path / "state.duckdb")
    spy = CountingStore(inner)
    ours = CachedStateStore(spy)
    baseline, _ = two_systems(6.0, 7.0)
    pipe = pipeline(ours, warehouse, clock, [baseline])
    run_schedule(pipe, clock, 1)  # our cache: baseline recorded, no outcome
    clock.advance(two_system_config().deadline_seconds + 1)
    other = EnsembleHandler(
        CachedStateStore(inner), pipe.ensemble.sink, pipe.ensemble.config, clock
    )
    assert len(other.tick()) == 2  # another instance finalizes both with the fallback
    decided = predictions(warehouse)

    for payload in late_results(clock, warehouse, pipe):
        pipe.ensemble.on_result(payload)  # our stale copy says "not finalized"
    assert spy.conflicts == 2  # one per pitcher-game, then the truth: late
    frame = predictions(warehouse)
    late = frame[frame["system_id"] == "v1_6_rolling"]
    assert late["late"].tolist() == [True, True]
    ensemble = frame[frame["system_id"] == "ensemble_v1"].reset_index(drop=True)
    before = decided[decided["system_id"] == "ensemble_v1"].reset_index(drop=True)
    pd.testing.assert_frame_equal(ensemble, before)  # not re-finalized
    assert ensemble["predicted_strikeouts"].tolist() == pytest.approx([6.0, 6.0])


class FailingSink:
    """A sink whose instance dies between deciding the outcome and writing the rows."""

    def write(self, rows: Sequence[Mapping[str, Any]]) -> int:
        raise TransientError("instance crashed before writing its rows")


def test_the_tick_repairs_an_outcome_another_instance_decided_but_never_wrote(
    warehouse: DuckDBWarehouse, clock: FakeClock, tmp_path: Path
) -> None:
    inner = DuckDBStateStore(tmp_path / "state.duckdb")
    ours = CachedStateStore(inner)
    baseline, _ = two_systems(6.0, 7.0)
    pipe = pipeline(ours, warehouse, clock, [baseline])
    run_schedule(pipe, clock, 1)  # our cache: baseline recorded, no outcome
    crashing = EnsembleHandler(CachedStateStore(inner), FailingSink(), pipe.ensemble.config, clock)
    for payload in late_results(clock, warehouse, pipe):  # on time here: before the deadline
        with pytest.raises(TransientError):
            crashing.on_result(payload)  # completes and decides the outcome, writes nothing
    assert predictions(warehouse).query("system_id == 'ensemble_v1'").empty

    # before the deadline our stale copies say "undecided": the tick must read the truth
    pipe.bus.publish(ENSEMBLE_TICKS, {"schema_version": 1, "message_type": "ensemble-tick"})
    pipe.bus.run()
    frame = predictions(warehouse)
    assert len(frame) == 2 * 3 and not frame.duplicated(ROW_KEY).any()
    ensemble = frame[frame["system_id"] == "ensemble_v1"]
    assert ensemble["status"].eq("ok").all()
    assert ensemble["predicted_strikeouts"].tolist() == pytest.approx([6.625, 6.625])
    assert pipe.ensemble.tick() == []
