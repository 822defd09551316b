"""The deferred-write capability on the embedded stores: ``write_then`` falls back to write + done
for every plain sink, and the ensemble over a deferred sink leaves a state "finalized, not
written" (so the tick would repair it) until the sink reports its rows durable."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from strikeouts.names import GAME_SCHEDULE
from strikeouts.pipeline.bus import FaultPlan
from strikeouts.pipeline.clock import FakeClock
from strikeouts.pipeline.embedded import EmbeddedPipeline, build_embedded
from strikeouts.pipeline.errors import StateConflict
from strikeouts.pipeline.ports import (
    DeferredPredictionSink,
    PredictionSink,
    write_then,
)
from strikeouts.runtime.sinks import WarehousePredictionSink, WarehouseRejectionSink
from strikeouts.runtime.state_store import DuckDBStateStore
from strikeouts.runtime.writebehind import BufferedPredictionSink
from strikeouts.warehouse.duckdb_backend import DuckDBWarehouse

from .doubles import StubFeatures, schedule_event, two_system_config, two_systems

ROW_KEY = ["run_id", "game_id", "pitcher_id", "system_id"]


class HeldSink:
    """A deferred sink whose rows become durable only when the test releases them."""

    def __init__(self, inner: PredictionSink) -> None:
        self.inner = inner
        self.held: list[tuple[list[Mapping[str, Any]], Callable[[], None]]] = []

    def write(self, rows: Sequence[Mapping[str, Any]]) -> int:
        return self.inner.write(rows)  # plain writes are synchronous, as in the cloud sink

    def write_then(self, rows: Sequence[Mapping[str, Any]], done: Callable[[], None]) -> int:
        self.held.append((list(rows), done))
        return len(rows)

    def release(self) -> int:
        """Write everything held, then call back (as the cloud's flusher does)."""
        held, self.held = self.held, []
        for rows, _ in held:
            self.inner.write(rows)
        for _, done in held:
            done()
        return len(held)


def predictions(warehouse: DuckDBWarehouse) -> pd.DataFrame:
    return warehouse.query(
        "SELECT * FROM pitcher_strikeout_predictions ORDER BY game_id, pitcher_id, system_id"
    )


def pipeline(
    store: DuckDBStateStore,
    sink: PredictionSink,
    warehouse: DuckDBWarehouse,
    clock: FakeClock,
    faults: FaultPlan | None = None,
) -> EmbeddedPipeline:
    return build_embedded(
        predictors=two_systems(6.0, 7.0),
        features=StubFeatures(),
        store=store,
        sink=sink,
        rejections=WarehouseRejectionSink(warehouse),
        config=two_system_config(),
        clock=clock,
        faults=faults,
    )


def run_schedule(pipe: EmbeddedPipeline, clock: FakeClock, games: int = 3) -> None:
    pipe.bus.publish(GAME_SCHEDULE, schedule_event(clock, games=games))
    pipe.bus.run()


def test_plain_sinks_write_then_call_back_at_once(warehouse: DuckDBWarehouse) -> None:
    sink = WarehousePredictionSink(warehouse)
    buffered = BufferedPredictionSink(sink)
    assert not isinstance(sink, DeferredPredictionSink)
    assert not isinstance(buffered, DeferredPredictionSink)
    assert isinstance(HeldSink(sink), DeferredPredictionSink)

    store = DuckDBStateStore()
    clock = FakeClock()
    seen: list[int] = []
    held = HeldSink(sink)
    run_schedule(pipeline(store, held, warehouse, clock), clock, games=1)
    rows = [r for batch, _ in held.held for r in batch]  # two pitcher-games' real rows

    # plain write, then done: the rows are in the table when done runs
    assert write_then(sink, rows, lambda: seen.append(len(predictions(warehouse)))) == len(rows)
    assert seen == [len(rows)] == [6]

    with pytest.raises(StateConflict):  # a failing done reaches the caller (the delivery)
        write_then(sink, rows, _raise(StateConflict("lost a race")))


def _raise(exc: Exception) -> Callable[[], None]:
    def done() -> None:
        raise exc

    return done


def test_the_ensemble_marks_written_only_when_a_deferred_sink_says_so(
    warehouse: DuckDBWarehouse, tmp_path: Path
) -> None:
    store = DuckDBStateStore(tmp_path / "state.duckdb")
    clock = FakeClock()
    sink = HeldSink(WarehousePredictionSink(warehouse))
    pipe = pipeline(store, sink, warehouse, clock, FaultPlan(5, duplicate=0.5, reorder=0.5))
    run_schedule(pipe, clock)

    unwritten = store.due(clock.now())  # finalized, not written: the tick would repair these
    assert len(unwritten) == 6
    assert predictions(warehouse).empty
    assert len(sink.held) >= 6  # duplicates re-hand their pitcher-game's rows

    sink.release()
    assert store.due(clock.now()) == []
    assert pipe.ensemble.tick() == []
    frame = predictions(warehouse)
    assert len(frame) == 6 * 3 and not frame.duplicated(ROW_KEY).any()
    ensemble = frame[frame["system_id"] == "ensemble_v1"]
    assert ensemble["predicted_strikeouts"].tolist() == pytest.approx([6.625] * 6)


def test_rows_a_deferred_sink_never_made_durable_are_rewritten_by_the_tick(
    warehouse: DuckDBWarehouse, tmp_path: Path
) -> None:
    store = DuckDBStateStore(tmp_path / "state.duckdb")
    clock = FakeClock()
    dying = HeldSink(WarehousePredictionSink(warehouse))
    pipe = pipeline(store, dying, warehouse, clock)
    run_schedule(pipe, clock)
    dying.held.clear()  # the instance dies with its queue

    # the tick on another instance, with a synchronous sink
    tick = pipeline(store, WarehousePredictionSink(warehouse), warehouse, clock)
    assert len(tick.ensemble.tick()) == 6
    assert store.due(clock.now()) == []
    frame = predictions(warehouse)
    assert len(frame) == 6 * 3 and not frame.duplicated(ROW_KEY).any()
