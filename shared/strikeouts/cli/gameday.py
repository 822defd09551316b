"""``strikeouts results``, ``schedule`` and ``daily``: the game day, offline or from live sources.

Invariant: a source that stays down, a malformed answer or a bad argument prints one red line
naming what failed and exits with code 2 (the failed fetch is in ``source_fetches``), never a
traceback and never a slate presented as complete when part of it is missing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from strikeouts.adapters import open_injured_list_cache, open_warehouse
from strikeouts.cli.app import app
from strikeouts.cli.injured_list import print_injured_list
from strikeouts.cli.options import (
    Backend,
    DataDir,
    ModelStoreOpt,
    WarehouseOpt,
    backend_option,
    backend_settings,
    date_option,
    fail,
    settings_with,
)
from strikeouts.cli.slate import challengers, champions, print_slate, print_summary
from strikeouts.data.files import DataFileError
from strikeouts.data.teams import load_team_codes
from strikeouts.gameday.daily import LiveSlate, live_slate, live_sources, results_and_grades
from strikeouts.gameday.grading import GradeReport
from strikeouts.gameday.results import ResultsReport
from strikeouts.models.store import ModelStoreError
from strikeouts.names import CHAMPION
from strikeouts.pipeline.payloads import GameScheduleEvent
from strikeouts.runtime.runner import Runner, RunSummary, state_path
from strikeouts.runtime.schedule import ScheduleError
from strikeouts.settings import Settings
from strikeouts.sources.http import SourceError
from strikeouts.warehouse import Warehouse, WarehouseError

T = TypeVar("T")
LiveOpt = Annotated[
    bool, typer.Option("--live", help="Fetch from the MLB Stats API and The Odds API")
]
ERRORS = (SourceError, ScheduleError, WarehouseError, ModelStoreError, DataFileError, ValueError)


def _guard(console: Console, action: Callable[[], T]) -> T:
    try:
        return action()
    except ERRORS as exc:
        raise fail(console, str(exc)) from None


def _print_results(console: Console, results: ResultsReport | None, grades: GradeReport) -> None:
    if results is not None:
        void = ", ".join(f"{pk} {state}" for pk, state in sorted(results.void.items())) or "none"
        console.print(
            f"results {results.day}: {results.games} games, {results.final} final, "
            f"{results.pending} not final; {results.starts} starts written, "
            f"{results.kept_bulk} kept from the bulk files, {results.rejected} rejected; "
            f"void: {void}",
            highlight=False,
        )
    bets = ", ".join(f"{k} {v}" for k, v in sorted(grades.bet_results.items())) or "none"
    console.print(
        f"grades {grades.day}: {grades.graded} prediction rows graded ({bets}); "
        f"{grades.pending} pending (no result yet)",
        highlight=False,
    )


def _print_live(console: Console, live: LiveSlate) -> None:
    s = live.slate
    console.print(
        f"slate {live.event['game_date']}: {s.games} games, {s.starters} starters "
        f"({s.lined} with a line); left off: {s.tbd} TBD starters, {s.void} postponed/"
        f"suspended games, {s.not_pregame} games under way or over",
        highlight=False,
    )
    print_injured_list(console, live)
    if live.lines is not None:
        ln = live.lines
        console.print(
            f"lines: {ln.events} events, {ln.matched_events} matched to games, {ln.lines} "
            f"pitcher lines ({ln.matched_pitchers} matched to players), {ln.new_rows} new "
            f"snapshot rows, {ln.rejected} rejected",
            highlight=False,
        )


def _print_run(console: Console, summary: RunSummary, built: LiveSlate | None) -> None:
    """What went on a live slate (when live), then the slate as ``run`` prints it."""
    if built is not None:
        _print_live(console, built)
    print_slate(console, summary)
    print_summary(console, summary)


class GameDay:
    """The warehouse, teams and models one game-day command works with."""

    def __init__(self, console: Console, settings: Settings) -> None:
        self.console = console
        self.settings = settings
        self.teams = load_team_codes(settings.data_dir)
        self.warehouse: Warehouse = open_warehouse(settings)
        self.warehouse.ensure_tables()
        self.now = dt.datetime.now(dt.UTC)

    def results(self, day: dt.date, live: bool) -> tuple[ResultsReport | None, GradeReport]:
        if not live:
            return results_and_grades(day, self.warehouse, self.teams, None, self.now)
        with live_sources(self.settings, self.teams, lines=False) as sources:
            return results_and_grades(day, self.warehouse, self.teams, sources, self.now)

    def runner(self, day: dt.date) -> Runner:
        predictors = champions(self.console, self.settings, self.warehouse, day)
        return Runner(
            self.warehouse,
            predictors,
            state_path(self.settings.state_dir),
            config=self.settings.pipeline,
            challengers=challengers(self.console, self.settings),
        )

    def live_slate(self, day: dt.date, runner: Runner) -> LiveSlate:
        cache = open_injured_list_cache(self.settings)
        with live_sources(self.settings, self.teams, injury_cache=cache) as sources:
            if sources.lines is None:
                self.console.print(
                    "[yellow]warning:[/] no STRIKEOUTS_ODDS_API_KEY: the slate has no lines",
                    highlight=False,
                )
            return live_slate(
                day,
                self.warehouse,
                self.teams,
                sources,
                self.now,
                runner.model_versions(),
                runner.expected_systems,
            )

    def slate(self, day: dt.date, live: bool) -> tuple[RunSummary, LiveSlate | None]:
        runner = self.runner(day)
        if not live:
            return runner.run(day, day), None
        built = self.live_slate(day, runner)
        if not built.event["games"]:
            raise ScheduleError(f"{day}: no pre-game game with a probable starter")
        return runner.run_events([built.event]), built

    def close(self) -> None:
        self.warehouse.close()


def _open(console: Console, **options: Any) -> GameDay:
    return _guard(console, lambda: GameDay(console, settings_with(**options)))


@app.command()
def results(
    date: Annotated[dt.date, date_option("--date", "Game date whose results to take")],
    live: LiveOpt = False,
    data_dir: DataDir = None,
    warehouse: WarehouseOpt = None,
) -> None:
    """Take DATE's finals into pitcher_starts (--live) and grade every prediction of DATE."""
    console = Console()
    day = _open(console, data_dir=data_dir, warehouse=warehouse)
    try:
        found, grades = _guard(console, lambda: day.results(date, live))
    finally:
        day.close()
    _print_results(console, found, grades)


@app.command()
def schedule(
    date: Annotated[dt.date, date_option("--date", "Game date")],
    live: LiveOpt = False,
    backend: Annotated[
        Backend,
        backend_option(
            Backend.embedded,
            Backend.stack,
            Backend.cloud,
            what="embedded runs the event through the in-process pipeline and prints the "
            "slate; stack or cloud publishes it to that backend's game-schedule topic. ",
        ),
    ] = Backend.embedded,
    run_id: Annotated[
        str | None,
        typer.Option(help="Run id (default: the date and the model versions)", show_default=False),
    ] = None,
    deadline_seconds: Annotated[
        float | None,
        typer.Option(help="Ensemble deadline after the run's creation", show_default=False),
    ] = None,
    data_dir: DataDir = None,
    warehouse: WarehouseOpt = None,
    model_store: ModelStoreOpt = None,
) -> None:
    """Build DATE's game-schedule event (--live: probables + latest lines) and run or publish it."""
    console = Console()
    if backend is not Backend.embedded and not live:
        _publish_past(console, date, backend_settings(backend), run_id, deadline_seconds)
        return
    day = _open(console, data_dir=data_dir, warehouse=warehouse, model_store=model_store)
    try:
        if backend is not Backend.embedded:
            _publish_live(console, day, date, backend_settings(backend))
            return
        summary, built = _guard(console, lambda: day.slate(date, live))
    finally:
        day.close()
    _print_run(console, summary, built)


def _publish_past(
    console: Console,
    date: dt.date,
    settings: Settings,
    run_id: str | None,
    deadline_seconds: float | None,
) -> None:
    """Publish DATE's event as the backend's own fanout would read it: its feature warehouse,
    and a run id from the date and its champions' versions."""
    from strikeouts.cloud.functions import open_feature_warehouse, open_function_model_store
    from strikeouts.cloud.publish import build_schedule_event
    from strikeouts.models.systems import SYSTEMS
    from strikeouts.runtime.schedule import default_run_id

    if run_id is None:
        store = open_function_model_store(settings)
        versions = {s: store.resolve(s, CHAMPION).version for s in SYSTEMS}
        run_id = default_run_id(date, versions)
    features = open_feature_warehouse(settings)
    try:
        now = dt.datetime.now(dt.UTC)
        event = build_schedule_event(features, date, run_id, now, deadline_seconds=deadline_seconds)
    finally:
        features.close()
    _send(console, settings, event)


def _publish_live(console: Console, day: GameDay, date: dt.date, settings: Settings) -> None:
    """Publish DATE's live slate (built here, with this machine's champions' versions)."""
    built = _guard(console, lambda: day.live_slate(date, day.runner(date)))
    _print_live(console, built)
    _send(console, settings, built.event)


def _send(console: Console, settings: Settings, event: GameScheduleEvent) -> None:
    from strikeouts.cloud.publish import publish_schedule
    from strikeouts.cloud.pubsub import PubSubPublisher

    try:
        message_id = publish_schedule(PubSubPublisher.from_settings(settings), event)
    except Exception as exc:  # auth, network, emulator down: one red line naming the cause
        raise fail(console, f"cannot publish to Pub/Sub ({type(exc).__name__}): {exc}") from None
    starters = sum(len(g["starters"]) for g in event["games"])
    console.print(
        f"published {event['game_date']}: {len(event['games'])} games, {starters} starters, "
        f"run_id {event['run_id']} (message {message_id})",
        highlight=False,
    )


@app.command()
def daily(
    date: Annotated[dt.date, date_option("--date", "Today: results of the day before, then DATE")],
    live: LiveOpt = False,
    data_dir: DataDir = None,
    warehouse: WarehouseOpt = None,
    model_store: ModelStoreOpt = None,
) -> None:
    """The morning: results of DATE−1, their grades, then DATE's slate through the pipeline."""
    console = Console()
    day = _open(console, data_dir=data_dir, warehouse=warehouse, model_store=model_store)
    try:
        found, grades = _guard(console, lambda: day.results(date - dt.timedelta(days=1), live))
        _print_results(console, found, grades)
        summary, built = _guard(console, lambda: day.slate(date, live))
    finally:
        day.close()
    _print_run(console, summary, built)
