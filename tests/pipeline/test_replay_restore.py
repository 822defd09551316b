"""Replays restore what the destination lost: the aggregation state never vouches for rows.

On the in-process bus with a real DuckDB warehouse: a run, then its rows lost (all, some, the
late ones), then the same schedule event published again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import pytest

from strikeouts.names import GAME_SCHEDULE
from strikeouts.pipeline.clock import FakeClock
from strikeouts.pipeline.config import PipelineConfig
from strikeouts.pipeline.ports import restore
from strikeouts.runtime.writebehind import BufferedPredictionSink
from strikeouts.warehouse.duckdb_backend import DuckDBWarehouse

from .conftest import PipelineFactory
from .doubles import schedule_event, two_system_config, two_systems
from .test_flow import predictions

KEY = ["run_id", "game_id", "pitcher_id", "system_id"]


def replay(pipe: Any, event: dict[str, Any]) -> None:
    pipe.bus.publish(GAME_SCHEDULE, event)
    pipe.bus.run()


def stable(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows by key (row order is the table's)."""
    return frame.sort_values(KEY).reset_index(drop=True)


def test_a_replay_into_an_emptied_table_writes_every_row_again(
    make_pipeline: PipelineFactory, warehouse: DuckDBWarehouse, clock: FakeClock
) -> None:
    pipe = make_pipeline(two_systems(6.0, 7.0))
    event = schedule_event(clock, games=2)
    replay(pipe, event)
    first = stable(predictions(warehouse))
    assert len(first) == 4 * 3
    warehouse.execute("DELETE FROM pitcher_strikeout_predictions")
    clock.advance(60)
    replay(pipe, event)
    pd.testing.assert_frame_equal(stable(predictions(warehouse)), first)


def test_a_replay_writes_exactly_the_missing_rows_and_no_duplicate(
    make_pipeline: PipelineFactory, warehouse: DuckDBWarehouse, clock: FakeClock
) -> None:
    pipe = make_pipeline(two_systems(6.0, 7.0))
    event = schedule_event(clock, games=2)
    replay(pipe, event)
    first = stable(predictions(warehouse))
    warehouse.execute(
        "DELETE FROM pitcher_strikeout_predictions WHERE system_id = 'ensemble_v1' "
        "AND game_id = @g",
        {"g": first["game_id"].iloc[0]},
    )
    assert len(predictions(warehouse)) == len(first) - 2
    replay(pipe, event)
    after = stable(predictions(warehouse))
    assert not after.duplicated(KEY).any()
    pd.testing.assert_frame_equal(after, first)


def test_late_rows_are_restored_with_the_rest(
    make_pipeline: PipelineFactory,
    warehouse: DuckDBWarehouse,
    clock: FakeClock,
    config: PipelineConfig,
) -> None:
    baseline, rolling = two_systems(6.0, 7.0)
    pipe = make_pipeline([baseline])
    event = schedule_event(clock)
    replay(pipe, event)
    clock.advance(config.deadline_seconds + 1)
    pipe.ensemble.tick()  # finalized without v1_6_rolling
    late = make_pipeline([rolling])
    for envelope in [e for e in pipe.bus.published if e.topic == "pitcher-games"]:
        late.systems["v1_6_rolling"](envelope.data)
    for envelope in [e for e in late.bus.published if e.topic == "system-predictions"]:
        pipe.ensemble.on_result(envelope.data)
    first = stable(predictions(warehouse))
    assert first["late"].sum() == 2
    warehouse.execute("DELETE FROM pitcher_strikeout_predictions")
    replay(pipe, event)
    pd.testing.assert_frame_equal(stable(predictions(warehouse)), first)


class CountingSink:
    """A PredictionSink that records which rows came as writes and which as restores."""

    def __init__(self) -> None:
        self.written: list[Mapping[str, Any]] = []
        self.restored: list[Mapping[str, Any]] = []

    def write(self, rows: Sequence[Mapping[str, Any]]) -> int:
        self.written.extend(rows)
        return len(rows)

    def restore(self, rows: Sequence[Mapping[str, Any]]) -> int:
        self.restored.extend(rows)
        return len(rows)


def test_only_a_decided_and_written_pitcher_game_is_re_offered_as_a_restore(
    make_pipeline: PipelineFactory, clock: FakeClock
) -> None:
    pipe = make_pipeline([two_systems()[0]])  # v1_6_rolling never answers: not decided
    sink = CountingSink()
    pipe.ensemble.sink = sink
    event = schedule_event(clock)
    replay(pipe, event)
    replay(pipe, event)  # registrations of undecided pitcher-games: nothing to re-offer
    assert (sink.written, sink.restored) == ([], [])
    clock.advance(two_system_config().deadline_seconds + 1)
    pipe.ensemble.tick()
    assert len(sink.written) == 2 * 2 and sink.restored == []
    replay(pipe, event)
    assert len(sink.restored) == 2 * 2
    assert {r["system_id"] for r in sink.restored} == {"v1_baseline", "ensemble_v1"}


def test_the_buffered_sink_counts_restored_rows_apart_from_present_ones(
    warehouse: DuckDBWarehouse,
) -> None:
    from cloud.doubles import prediction_row  # tests/ is the rootdir of both packages

    from strikeouts.runtime.sinks import WarehousePredictionSink

    inner = WarehousePredictionSink(warehouse)
    sink = BufferedPredictionSink(inner)
    sink.write([prediction_row(1), prediction_row(2)])
    assert sink.flush() == 2 and sink.restored == 0
    warehouse.execute("DELETE FROM pitcher_strikeout_predictions WHERE pitcher_id = 1")
    assert restore(sink, [prediction_row(1), prediction_row(2)]) == 2
    # the same key written and restored in one flush is a write, not a restore
    sink.write([prediction_row(3)])
    sink.restore([prediction_row(3)])
    assert sink.flush() == 2
    assert (sink.restored, sink.offered, sink.flushed) == (1, 5, 4)


@pytest.mark.parametrize("restores", [False, True])
def test_restore_falls_back_to_write_on_a_sink_without_it(restores: bool) -> None:
    class PlainSink:
        def __init__(self) -> None:
            self.rows: list[Mapping[str, Any]] = []

        def write(self, rows: Sequence[Mapping[str, Any]]) -> int:
            self.rows.extend(rows)
            return len(rows)

    sink: Any = CountingSink() if restores else PlainSink()
    assert restore(sink, [{"run_id": "r"}]) == 1
    assert (len(sink.restored) if restores else len(sink.rows)) == 1
