"""``strikeouts run`` and ``strikeouts replay``: the embedded pipeline on the warehouse's data.

Invariant: bad arguments (a malformed date, a date without games, an end before the start)
print one red line naming the value and exit with code 2, never a traceback; models are
trained only on starts strictly before the first date run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from strikeouts.adapters import open_warehouse
from strikeouts.cli.app import app
from strikeouts.cli.options import (
    ModelStoreOpt,
    WarehouseOpt,
    date_option,
    fail,
    settings_with,
)
from strikeouts.cli.slate import challengers, champions, print_slate, print_summary
from strikeouts.models.store import ModelStoreError
from strikeouts.runtime.runner import Runner, RunSummary, state_path
from strikeouts.runtime.schedule import ScheduleError, game_dates
from strikeouts.settings import Settings
from strikeouts.warehouse import WarehouseError

RunIdOpt = Annotated[
    str | None,
    typer.Option(
        "--run-id",
        help="Run id (default: derived from the date and the model versions)",
        show_default=False,
    ),
]


def _execute(
    console: Console,
    settings: Settings,
    first: dt.date,
    last: dt.date,
    run_id: str | None,
    show_progress: bool,
) -> RunSummary:
    warehouse = open_warehouse(settings)
    try:
        if not game_dates(warehouse, first, last):
            span = str(first) if first == last else f"{first}..{last}"
            raise ScheduleError(f"no games with starters in the warehouse on {span}")
        predictors = champions(console, settings, warehouse, first)
        runner = Runner(
            warehouse,
            predictors,
            state_path(settings.state_dir),
            config=settings.pipeline,
            challengers=challengers(console, settings),
        )
        if not show_progress:
            return runner.run(first, last, run_id=run_id)
        with Progress(
            TextColumn("replaying"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("dates · {task.fields[games]:,} pitcher-games"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as bar:
            task = bar.add_task("replay", total=None, games=0)
            update: Callable[[int, int, int], None] = lambda done, total, games: bar.update(  # noqa: E731
                task, completed=done, total=total, games=games
            )
            return runner.run(first, last, run_id=run_id, progress=update)
    finally:
        warehouse.close()


def _guarded(console: Console, action: Callable[[], RunSummary]) -> RunSummary:
    try:
        return action()
    except (ValueError, ScheduleError, WarehouseError, ModelStoreError) as exc:
        raise fail(console, str(exc)) from None


@app.command()
def run(
    date: Annotated[dt.date, date_option("--date", "Game date")],
    run_id: RunIdOpt = None,
    warehouse: WarehouseOpt = None,
    model_store: ModelStoreOpt = None,
) -> None:
    """Predict every start of one date through the event pipeline and print the slate."""
    console = Console()
    settings = settings_with(warehouse=warehouse, model_store=model_store)

    def action() -> RunSummary:
        return _execute(console, settings, date, date, run_id, show_progress=False)

    summary = _guarded(console, action)
    print_slate(console, summary)
    print_summary(console, summary)


@app.command()
def replay(
    start: Annotated[dt.date, date_option("--start", "First date")],
    end: Annotated[dt.date, date_option("--end", "Last date")],
    run_id: RunIdOpt = None,
    warehouse: WarehouseOpt = None,
    model_store: ModelStoreOpt = None,
) -> None:
    """Replay every game date of a range through the event pipeline."""
    console = Console()
    settings = settings_with(warehouse=warehouse, model_store=model_store)

    def action() -> RunSummary:
        if end < start:
            raise ValueError(f"--end {end} is before --start {start}")
        return _execute(console, settings, start, end, run_id, show_progress=True)

    summary = _guarded(console, action)
    print_summary(console, summary)
