"""The embedded runner: schedule events from the warehouse through the whole pipeline, drained.

Invariant: when :meth:`Runner.run` returns, every pitcher-game of the run is finalized and its
rows are durable. The in-process bus is drained date by date; then the run clock moves to the
latest deadline and the ensemble tick finalizes what is still open (a system that
dead-lettered), since in a synchronous drain nothing else can arrive. Rows are merged first
and aggregation state saved second (see :mod:`strikeouts.runtime.writebehind`). The same run id
run again re-offers every row of its decided pitcher-games: the keyed merge writes none into a
destination that has them (``rows_present``) and exactly the missing ones into one that lost
some or never had them (``rows_restored``), whatever the aggregation state says.
After each drain the completion sweep announces every run date that is now complete, once,
into ``run_completions`` (:mod:`strikeouts.runtime.completions`), flushed after the rows and
before the state: a replay or a redrive of a run announced already records nothing new.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from strikeouts.logs import get_logger
from strikeouts.models.store import ModelStore
from strikeouts.models.systems import SYSTEMS
from strikeouts.names import CHAMPION, GAME_SCHEDULE, PREDICTIONS, SHADOW_PREDICTIONS
from strikeouts.pipeline.bus import FaultPlan
from strikeouts.pipeline.clock import Clock, from_iso
from strikeouts.pipeline.completion import RunCompletions
from strikeouts.pipeline.config import PipelineConfig
from strikeouts.pipeline.embedded import EmbeddedPipeline, build_embedded
from strikeouts.pipeline.payloads import GameScheduleEvent
from strikeouts.pipeline.ports import Predictor
from strikeouts.runtime.accuracy import WarehouseTrailingAccuracy
from strikeouts.runtime.completions import WarehouseCompletions
from strikeouts.runtime.dead_letters import WarehouseDeadLetters
from strikeouts.runtime.drain import DrainClock, fewer_collections, outcomes, span
from strikeouts.runtime.features import WarehouseFeatureSource
from strikeouts.runtime.predictors import ModelPredictor, UnavailablePredictor, load_or_unavailable
from strikeouts.runtime.schedule import ScheduleError, default_run_id, schedule_event, slate
from strikeouts.runtime.sinks import WarehousePredictionSink, WarehouseRejectionSink
from strikeouts.runtime.state_store import DuckDBStateStore
from strikeouts.runtime.writebehind import BufferedPredictionSink, WriteBehindStateStore
from strikeouts.warehouse.base import Warehouse

STATE_FILE = "aggregation_state.duckdb"
log = get_logger(__name__)

# (dates done, dates in all, pitcher-games so far)
Progress = Callable[[int, int, int], None]

RESULTS_SQL = f"""
SELECT * FROM {PREDICTIONS}
WHERE game_date BETWEEN @first AND @last
ORDER BY game_date, game_id, pitcher_id, system_id
"""


@dataclass(frozen=True)
class RunSummary:
    """What one run or replay did."""

    run_ids: tuple[str, ...]
    first: dt.date
    last: dt.date
    dates: int
    pitcher_games: int
    rows_written: int
    """Rows new to the destination (the restored ones included)."""
    rows_restored: int
    """Rows of pitcher-games the aggregation state had as written that the destination lacked
    (lost since, or another warehouse): a replay put them back."""
    rows_present: int
    """Rows offered that the destination already had (a replay over complete rows)."""
    statuses: dict[str, int]
    """Rows of the run(s) by status (``ok``/``skip``/``error``), new or already there."""
    dead_letters: int
    """Messages the bus gave up on in this run (kept in the ``dead_letters`` table)."""
    rejected: int
    seconds: float
    rows: pd.DataFrame = field(repr=False, compare=False)
    """The run's prediction rows, as stored."""
    completions: int = 0
    """Run dates this run announced complete (0 for a replay of runs announced already)."""

    @property
    def pitcher_games_per_second(self) -> float:
        """Throughput of the whole run (schedule, features, pipeline, writes)."""
        return self.pitcher_games / self.seconds if self.seconds > 0 else 0.0


RawMessage = tuple[str, bytes, Mapping[str, str]]
"""(topic, payload, attributes) of one message to deliver."""


@dataclass(frozen=True)
class Settled:
    """What making a drain durable did."""

    written: int
    """Rows new to the destination (restored ones included)."""
    restored: int
    """Rows the aggregation state had as written that the destination lacked."""
    present: int
    """Rows offered that the destination already had."""
    dead_letters: int
    """Messages the bus gave up on, now in the ``dead_letters`` table."""
    rejected: int = 0
    completions: int = 0
    """Run dates announced complete (recorded in ``run_completions``)."""


def state_path(state_dir: Path) -> Path:
    """The embedded aggregation-state file under ``state_dir``."""
    return Path(state_dir) / STATE_FILE


def load_predictors(
    store: ModelStore, systems: Iterable[str] | None = None, alias: str = CHAMPION
) -> list[ModelPredictor]:
    """One predictor per system (default: every registered system) at ``alias``."""
    return [ModelPredictor.from_store(store, s, alias) for s in (systems or SYSTEMS)]


def serving_predictors(
    store: ModelStore, systems: Iterable[str] | None = None, alias: str = CHAMPION
) -> list[ModelPredictor | UnavailablePredictor]:
    """:func:`load_predictors` for a run: a system whose model cannot be loaded is served by an
    :class:`UnavailablePredictor` (its rows say ``error`` and why; the ensemble falls back to
    the others), logged as an error, instead of aborting the whole slate."""
    predictors = [load_or_unavailable(store, s, alias) for s in (systems or SYSTEMS)]
    for p in predictors:
        if isinstance(p, UnavailablePredictor):
            log.error(
                "model not loadable: the system answers error",
                system_id=p.system_id,
                alias=alias,
                error=p.error,
            )
    return predictors


class Runner:
    """The embedded pipeline wired to the warehouse, the predictors and a state file."""

    def __init__(
        self,
        warehouse: Warehouse,
        predictors: Sequence[Predictor],
        state: str | Path,
        *,
        config: PipelineConfig | None = None,
        faults: FaultPlan | None = None,
        clock: Clock | None = None,
        challengers: Mapping[str, Predictor] | None = None,
    ) -> None:
        if not predictors:
            raise ValueError("a run needs at least one predictor")
        self.warehouse = warehouse
        self.predictors = list(predictors)
        self.config = config or PipelineConfig()
        self.clock = DrainClock(clock)
        self.features = WarehouseFeatureSource(warehouse)
        self.sink = BufferedPredictionSink(WarehousePredictionSink(warehouse))
        # challengers' rows: kept apart from the predictions, flushed with them
        self.shadow = BufferedPredictionSink(WarehousePredictionSink(warehouse, SHADOW_PREDICTIONS))
        self.store = WriteBehindStateStore(DuckDBStateStore(state))
        self.dead_letters = WarehouseDeadLetters(warehouse)
        self.completion_table = WarehouseCompletions(warehouse)
        self.completions = RunCompletions(self.completion_table, self.completion_table, self.config)
        self.pipeline: EmbeddedPipeline = build_embedded(
            predictors=self.predictors,
            features=self.features,
            store=self.store,
            sink=self.sink,
            rejections=WarehouseRejectionSink(warehouse),
            config=self.config,
            clock=self.clock,
            faults=faults,
            accuracy=WarehouseTrailingAccuracy(warehouse) if self.config.adaptive_weights else None,
            challengers=challengers,
            shadow=self.shadow,
        )

    @property
    def expected_systems(self) -> list[str]:
        """The systems this run waits for: exactly the predictors it holds."""
        return [p.system_id for p in self.predictors]

    def model_versions(self) -> dict[str, str]:
        """System id -> model version of each predictor."""
        return {p.system_id: p.model_version for p in self.predictors}

    def run_id_for(self, game_date: dt.date, run_id: str | None) -> str:
        """The given run id, or the deterministic one of the date and the model versions."""
        return run_id or default_run_id(game_date, self.model_versions())

    def run(
        self,
        first: dt.date,
        last: dt.date,
        *,
        run_id: str | None = None,
        progress: Progress | None = None,
    ) -> RunSummary:
        """Publish and drain the schedule of every game date in ``first``..``last``."""
        with fewer_collections():
            return self._run(first, last, run_id, progress)

    def _run(
        self, first: dt.date, last: dt.date, run_id: str | None, progress: Progress | None
    ) -> RunSummary:
        if last < first:
            raise ScheduleError(f"end {last} is before start {first}")
        started = time.perf_counter()
        targets = slate(self.warehouse, first, last)
        if targets.empty:
            raise ScheduleError(
                f"no games with starters in the warehouse for {span(first, last)}"
                " (run `strikeouts ingest`, or pick a date in the season)"
            )
        days: dict[dt.date, list[dict[Any, Any]]] = {}
        for row in targets.to_dict("records"):
            days.setdefault(pd.Timestamp(row["game_date"]).date(), []).append(row)
        run_ids = {d: self.run_id_for(d, run_id) for d in days}
        self.features.prepare(first, last, targets)
        created = self.clock.now()
        events = [
            schedule_event(rows, day, run_ids[day], created, self.expected_systems)
            for day, rows in sorted(days.items())
        ]
        return self._drain(events, first, last, started, progress)

    def run_events(self, events: Sequence[GameScheduleEvent]) -> RunSummary:
        """Publish and drain ready-made game-schedule events (a live slate), then finalize."""
        if not events:
            raise ScheduleError("no game-schedule event to run")
        dates = [dt.date.fromisoformat(e["game_date"]) for e in events]
        with fewer_collections():
            return self._drain(events, min(dates), max(dates), time.perf_counter(), None)

    def _drain(
        self,
        events: Sequence[GameScheduleEvent],
        first: dt.date,
        last: dt.date,
        started: float,
        progress: Progress | None,
    ) -> RunSummary:
        run_ids = {str(e["run_id"]) for e in events}
        self.store.preload(run_ids)
        created = min(from_iso(e["run_created_at"]) for e in events)
        bus = self.pipeline.bus
        counts: Counter[str] = Counter()
        for i, event in enumerate(events, start=1):
            bus.publish(GAME_SCHEDULE, event)
            bus.run()
            counts.update(outcomes(self.pipeline))
            if progress:
                progress(i, len(events), counts["pitcher_games"])
        settled = self._settle(created)
        rows = self.results(first, last, run_ids)
        return RunSummary(
            run_ids=tuple(sorted(run_ids)),
            first=first,
            last=last,
            dates=len(events),
            pitcher_games=counts["pitcher_games"],
            rows_written=settled.written,
            rows_restored=settled.restored,
            rows_present=settled.present,
            statuses=dict(Counter(rows["status"])),
            dead_letters=settled.dead_letters,
            rejected=counts["rejected"],
            seconds=time.perf_counter() - started,
            rows=rows,
            completions=settled.completions,
        )

    def deliver(self, messages: Sequence[RawMessage]) -> Settled:
        """Publish raw messages onto the bus (a redrive, a corrected rejection) and drain it."""
        created = self.clock.now()
        bus = self.pipeline.bus
        for topic, data, attributes in messages:
            bus.publish_raw(topic, data, attributes)
        with fewer_collections():
            bus.run()
        counts = outcomes(self.pipeline)
        return self._settle(created, rejected=counts["rejected"])

    def _settle(self, created: dt.datetime, rejected: int = 0) -> Settled:
        """Finalize what is overdue, make the rows and state durable, keep the dead letters."""
        self._finalize_overdue(created)
        announced = self.completions.sweep(self.store, self.clock.now())
        offered, restored = self.sink.offered, self.sink.restored
        written = self.sink.flush()
        self.shadow.flush()
        self.completion_table.flush()
        self.store.flush()
        bus = self.pipeline.bus
        dead = self.dead_letters.save(bus.dead_letters, self.clock.now())
        bus.dead_letters.clear()
        settled = Settled(
            written=written,
            restored=self.sink.restored - restored,
            present=self.sink.offered - offered - written,
            dead_letters=dead,
            rejected=rejected,
            completions=len(announced),
        )
        if settled.restored:
            log.warning(
                "replay restored rows the aggregation state had as written", rows=settled.restored
            )
        return settled

    def _finalize_overdue(self, created: dt.datetime) -> None:
        """Tick at the latest deadline: nothing more can arrive once the bus is drained."""
        deadline = created + dt.timedelta(seconds=self.config.deadline_seconds)
        self.clock.floor = max(deadline, self.clock.now())
        try:
            self.pipeline.ensemble.tick()
        finally:
            self.clock.floor = None

    def results(self, first: dt.date, last: dt.date, run_ids: set[str]) -> pd.DataFrame:
        """The stored prediction rows of ``run_ids`` dated ``first``..``last``."""
        rows = self.warehouse.query(RESULTS_SQL, {"first": first, "last": last})
        return rows[rows["run_id"].isin(run_ids)].reset_index(drop=True)


def replay(
    warehouse: Warehouse,
    predictors: Sequence[Predictor],
    start: dt.date,
    end: dt.date,
    state: str | Path,
    *,
    run_id: str | None = None,
    config: PipelineConfig | None = None,
    progress: Progress | None = None,
    challengers: Mapping[str, Predictor] | None = None,
) -> RunSummary:
    """Replay every game date in ``start``..``end`` (features built once for the range);
    ``challengers`` are served in shadow."""
    return Runner(warehouse, predictors, state, config=config, challengers=challengers).run(
        start, end, run_id=run_id, progress=progress
    )
