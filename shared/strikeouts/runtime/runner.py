"""The embedded runner: schedule events from the warehouse through the whole pipeline, drained.

Invariant: when :meth:`Runner.run` returns, every pitcher-game of the run is finalized and its
rows are durable. The in-process bus is drained date by date; then the run clock moves to the
latest deadline and the ensemble tick finalizes what is still open (a system that
dead-lettered), since in a synchronous drain nothing else can arrive. Rows are merged first
and aggregation state saved second (see :mod:`strikeouts.runtime.writebehind`), so the same run
id run again writes nothing new.
"""

from __future__ import annotations

import datetime as dt
import gc
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from strikeouts.models.service import CHAMPION
from strikeouts.models.store import ModelStore
from strikeouts.models.systems import SYSTEMS
from strikeouts.pipeline.bus import FaultPlan
from strikeouts.pipeline.clock import Clock, SystemClock, from_iso
from strikeouts.pipeline.config import PipelineConfig
from strikeouts.pipeline.embedded import EmbeddedPipeline, build_embedded
from strikeouts.pipeline.messages import GAME_SCHEDULE, PITCHER_GAMES
from strikeouts.pipeline.sinks import PREDICTIONS, WarehousePredictionSink, WarehouseRejectionSink
from strikeouts.pipeline.state import DuckDBStateStore
from strikeouts.runtime.accuracy import WarehouseTrailingAccuracy
from strikeouts.runtime.features import WarehouseFeatureSource
from strikeouts.runtime.predictors import ModelPredictor
from strikeouts.runtime.schedule import ScheduleError, default_run_id, schedule_event, slate
from strikeouts.runtime.writebehind import BufferedPredictionSink, WriteBehindStateStore
from strikeouts.warehouse.base import Warehouse

STATE_FILE = "aggregation_state.duckdb"
_GC_YOUNG_THRESHOLD = 100_000  # allocations between young collections during a run (default 700)

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
    statuses: dict[str, int]
    """Rows of the run(s) by status (``ok``/``skip``/``error``), new or already there."""
    dead_letters: int
    rejected: int
    seconds: float
    rows: pd.DataFrame = field(repr=False, compare=False)
    """The run's prediction rows, as stored."""

    @property
    def pitcher_games_per_second(self) -> float:
        """Throughput of the whole run (schedule, features, pipeline, writes)."""
        return self.pitcher_games / self.seconds if self.seconds > 0 else 0.0


class DrainClock:
    """Wall-clock time that can be moved forward to a floor (the latest deadline after a drain)."""

    def __init__(self, base: Clock | None = None) -> None:
        self.base = base or SystemClock()
        self.floor: dt.datetime | None = None

    def now(self) -> dt.datetime:
        now = self.base.now()
        return now if self.floor is None or now >= self.floor else self.floor


def state_path(state_dir: Path) -> Path:
    """The embedded aggregation-state file under ``state_dir``."""
    return Path(state_dir) / STATE_FILE


def load_predictors(
    store: ModelStore, systems: Iterable[str] | None = None, alias: str = CHAMPION
) -> list[ModelPredictor]:
    """One predictor per system (default: every registered system) at ``alias``."""
    return [ModelPredictor.from_store(store, s, alias) for s in (systems or SYSTEMS)]


class Runner:
    """The embedded pipeline wired to the warehouse, the predictors and a state file."""

    def __init__(
        self,
        warehouse: Warehouse,
        predictors: Sequence[ModelPredictor],
        state: str | Path,
        *,
        config: PipelineConfig | None = None,
        faults: FaultPlan | None = None,
        clock: Clock | None = None,
    ) -> None:
        if not predictors:
            raise ValueError("a run needs at least one predictor")
        self.warehouse = warehouse
        self.predictors = list(predictors)
        self.config = config or PipelineConfig()
        self.clock = DrainClock(clock)
        self.features = WarehouseFeatureSource(warehouse)
        self.sink = BufferedPredictionSink(WarehousePredictionSink(warehouse))
        self.store = WriteBehindStateStore(DuckDBStateStore(state))
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
        with _fewer_collections():
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
                f"no games with starters in the warehouse for {_span(first, last)}"
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

    def run_events(self, events: Sequence[dict[str, Any]]) -> RunSummary:
        """Publish and drain ready-made game-schedule events (a live slate), then finalize."""
        if not events:
            raise ScheduleError("no game-schedule event to run")
        dates = [dt.date.fromisoformat(e["game_date"]) for e in events]
        with _fewer_collections():
            return self._drain(events, min(dates), max(dates), time.perf_counter(), None)

    def _drain(
        self,
        events: Sequence[dict[str, Any]],
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
            counts.update(_outcomes(self.pipeline))
            if progress:
                progress(i, len(events), counts["pitcher_games"])
        self._finalize_overdue(created)
        written = self.sink.flush()
        self.store.flush()
        rows = self.results(first, last, run_ids)
        return RunSummary(
            run_ids=tuple(sorted(run_ids)),
            first=first,
            last=last,
            dates=len(events),
            pitcher_games=counts["pitcher_games"],
            rows_written=written,
            statuses=dict(Counter(rows["status"])),
            dead_letters=len(bus.dead_letters),
            rejected=counts["rejected"],
            seconds=time.perf_counter() - started,
            rows=rows,
        )

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


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """Run the cyclic garbage collector rarely while a run drains, then as before.

    A drain allocates millions of short-lived JSON dicts that reference counting frees; at the
    default threshold (700) each young collection still walks the live heap (features, states,
    rows) and took ~15% of a season replay. Cycles are still collected, just less often.
    """
    before = gc.get_threshold()
    gc.set_threshold(_GC_YOUNG_THRESHOLD, *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


def _outcomes(pipeline: EmbeddedPipeline) -> Counter[str]:
    """Pitcher-games published and rejections since the last call (the logs are then cleared)."""
    bus = pipeline.bus
    counts: Counter[str] = Counter()
    counts["pitcher_games"] = sum(1 for e in bus.published if e.topic == PITCHER_GAMES)
    counts["rejected"] = sum(1 for h in bus.history if h.outcome == "rejected")
    # the in-process logs are for inspection; a season replay must not keep every payload
    bus.published.clear()
    bus.history.clear()
    return counts


def _span(first: dt.date, last: dt.date) -> str:
    return str(first) if first == last else f"{first}..{last}"


def run_date(
    warehouse: Warehouse,
    predictors: Sequence[ModelPredictor],
    game_date: dt.date,
    state: str | Path,
    *,
    run_id: str | None = None,
    config: PipelineConfig | None = None,
) -> RunSummary:
    """Run the pipeline for one date."""
    return Runner(warehouse, predictors, state, config=config).run(
        game_date, game_date, run_id=run_id
    )


def replay(
    warehouse: Warehouse,
    predictors: Sequence[ModelPredictor],
    start: dt.date,
    end: dt.date,
    state: str | Path,
    *,
    run_id: str | None = None,
    config: PipelineConfig | None = None,
    progress: Progress | None = None,
) -> RunSummary:
    """Replay every game date in ``start``..``end`` (features built once for the range)."""
    return Runner(warehouse, predictors, state, config=config).run(
        start, end, run_id=run_id, progress=progress
    )
