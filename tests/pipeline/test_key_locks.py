"""Per-key locks, and the ensemble using them: concurrent results of one pitcher-game in one
instance change its state one at a time (no refused conditional write), and still finalize
it exactly once."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from strikeouts.names import GAME_SCHEDULE, PITCHER_GAMES, SYSTEM_PREDICTIONS
from strikeouts.pipeline.clock import FakeClock
from strikeouts.pipeline.embedded import build_embedded
from strikeouts.pipeline.handlers import EnsembleHandler
from strikeouts.pipeline.key_locks import KeyLocks
from strikeouts.pipeline.messages import PitcherGameKey
from strikeouts.pipeline.ports import Versioned
from strikeouts.pipeline.state_cache import CachedStateStore
from strikeouts.runtime.sinks import WarehousePredictionSink, WarehouseRejectionSink
from strikeouts.runtime.state_store import DuckDBStateStore
from strikeouts.warehouse.duckdb_backend import DuckDBWarehouse

from .doubles import CountingStore, StubFeatures, schedule_event, two_system_config, two_systems


def overlaps(locks: KeyLocks, keys: list[str]) -> int:
    """How many threads were inside ``hold`` at once at most, one thread per key."""
    inside, most, guard = [0], [0], threading.Lock()
    start = threading.Barrier(len(keys))

    def work(key: str) -> None:
        start.wait()
        with locks.hold(key):
            with guard:
                inside[0] += 1
                most[0] = max(most[0], inside[0])
            time.sleep(0.05)
            with guard:
                inside[0] -= 1

    run_threads([partial(work, key) for key in keys])
    return most[0]


def run_threads(targets: list[Callable[[], Any]]) -> None:
    threads = [threading.Thread(target=t) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert not any(t.is_alive() for t in threads)


def test_holders_of_one_key_never_overlap_and_other_keys_do() -> None:
    locks = KeyLocks()
    assert overlaps(locks, ["a"] * 4) == 1
    assert overlaps(locks, ["a", "b", "c"]) == 3
    assert len(locks) == 0  # nothing kept once nobody holds a key


def test_a_failing_block_releases_its_key() -> None:
    locks = KeyLocks()
    with pytest.raises(RuntimeError), locks.hold("a"):
        raise RuntimeError("boom")
    assert len(locks) == 0
    with locks.hold("a"):  # not left locked
        pass


class SlowStore:
    """The DuckDB state store behind one lock (it is one connection), each save taking 20 ms
    before it reaches the store: long enough for concurrent results to overlap."""

    def __init__(self, inner: DuckDBStateStore) -> None:
        self.inner = inner
        self._lock = threading.Lock()

    def load(self, key: PitcherGameKey) -> Versioned | None:
        with self._lock:
            return self.inner.load(key)

    def save(self, key: PitcherGameKey, state: Any, **kwargs: Any) -> int:
        time.sleep(0.02)
        with self._lock:
            return self.inner.save(key, state, **kwargs)

    def due(self, now: Any) -> list[PitcherGameKey]:
        with self._lock:
            return self.inner.due(now)


class LockedSink:
    """The warehouse sink behind one lock (one DuckDB connection serves every thread)."""

    def __init__(self, inner: WarehousePredictionSink) -> None:
        self.inner = inner
        self._lock = threading.Lock()

    def write(self, rows: Any) -> int:
        with self._lock:
            return self.inner.write(rows)


def test_concurrent_results_of_one_pitcher_game_cost_no_conflict(
    warehouse: DuckDBWarehouse, clock: FakeClock, tmp_path: Path
) -> None:
    # the messages a real run makes: its pitcher-games, and every system's result
    source = build_embedded(
        predictors=two_systems(6.0, 7.0),
        features=StubFeatures(),
        store=DuckDBStateStore(tmp_path / "source.duckdb"),
        sink=WarehousePredictionSink(DuckDBWarehouse(tmp_path / "source-wh.duckdb")),
        rejections=WarehouseRejectionSink(warehouse),
        config=two_system_config(),
        clock=clock,
    )
    source.bus.publish(GAME_SCHEDULE, schedule_event(clock, games=3))
    source.bus.run()
    games = [e.data for e in source.bus.published if e.topic == PITCHER_GAMES]
    results = [e.data for e in source.bus.published if e.topic == SYSTEM_PREDICTIONS]
    assert len(games) == 6 and len(results) == 12

    spy = CountingStore(SlowStore(DuckDBStateStore(tmp_path / "state.duckdb")))
    ensemble = EnsembleHandler(
        CachedStateStore(spy),
        LockedSink(WarehousePredictionSink(warehouse)),
        two_system_config(),
        clock,
    )
    for game in games:
        ensemble.on_pitcher_game(game)
    run_threads([partial(ensemble.on_result, r) for r in results])  # every result at once

    assert spy.conflicts == 0  # the results of a pitcher-game took turns
    # registration, one save per result, the decision in the last one, the "written" mark
    assert spy.saves == 6 * (1 + 2 + 1)
    frame = warehouse.query("SELECT system_id FROM pitcher_strikeout_predictions")
    assert len(frame) == 6 * 3
    assert ensemble.tick() == []  # every outcome decided and written
