"""``strikeouts run`` and ``strikeouts replay``: the embedded pipeline on the warehouse's data.

Invariant: bad arguments (a malformed date, a date without games, an end before the start)
print one red line naming the value and exit with code 2, never a traceback; models are
trained only on starts strictly before the first date run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from strikeouts.cli.app import app
from strikeouts.cli.options import (
    ModelStoreOpt,
    WarehouseOpt,
    date_option,
    fail,
    settings_with,
    wide,
)
from strikeouts.models.service import ensure_champions
from strikeouts.models.store import ModelStoreError, open_model_store
from strikeouts.pipeline.config import PipelineConfig
from strikeouts.runtime.predictors import ModelPredictor
from strikeouts.runtime.runner import Runner, RunSummary, load_predictors, state_path
from strikeouts.runtime.schedule import ScheduleError, game_dates
from strikeouts.settings import Settings
from strikeouts.warehouse import Warehouse, WarehouseError, open_warehouse

RunIdOpt = Annotated[
    str | None,
    typer.Option(
        "--run-id",
        help="Run id (default: derived from the date and the model versions)",
        show_default=False,
    ),
]


def _predictors(
    console: Console, settings: Settings, warehouse: Warehouse, train_end: dt.date
) -> list[ModelPredictor]:
    """Champions of every system, training the missing ones on starts before ``train_end``."""
    store = open_model_store(settings)
    with console.status("checking models...") as status:
        ensure_champions(
            warehouse,
            store,
            train_end,
            progress=lambda message: status.update(message + " ..."),
        )
    predictors = load_predictors(store)
    for p in predictors:
        if p.system.metadata.train_end > train_end:
            console.print(
                f"[yellow]warning:[/] {p.system_id}@{p.model_alias} ({p.model_version}) was trained "
                f"on starts up to {p.system.metadata.train_end}, after {train_end}: "
                "its predictions for these dates are not out of sample",
                highlight=False,
            )
    return predictors


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
        predictors = _predictors(console, settings, warehouse, first)
        runner = Runner(
            warehouse, predictors, state_path(settings.state_dir), config=PipelineConfig()
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
    _print_slate(console, summary)
    _print_summary(console, summary)


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
    _print_summary(console, summary)


def _fmt(value: float | None, pattern: str) -> str:
    return "" if value is None or pd.isna(value) else format(value, pattern)


def _print_slate(console: Console, summary: RunSummary) -> None:
    rows = summary.rows
    if rows.empty:
        return
    systems = sorted(s for s in rows["system_id"].unique() if not s.startswith("ensemble"))
    ensemble = next((s for s in rows["system_id"].unique() if s.startswith("ensemble")), None)
    table = Table(title=f"{summary.first} · run {', '.join(summary.run_ids)}")
    for column in ("pitcher", "opp", *systems, "ensemble", "line", "edge", "call", "conf", "flags"):
        right = column not in ("pitcher", "opp", "call", "flags")
        table.add_column(column, justify="right" if right else "left", no_wrap=column == "pitcher")
    for _, game in rows.groupby(["game_id", "pitcher_id"], sort=False):
        by_system = {r["system_id"]: r for r in game.to_dict("records")}
        ens = by_system.get(ensemble) if ensemble else None
        first = ens or next(iter(by_system.values()))
        at = "@" if not first["is_home"] else "vs"
        table.add_row(
            str(first["pitcher_name"] or first["pitcher_id"]),
            f"{at} {first['opponent']}",
            *[
                _fmt(by_system[s]["predicted_strikeouts"], ".2f") if s in by_system else ""
                for s in systems
            ],
            _fmt(ens["predicted_strikeouts"], ".2f") if ens else "",
            _fmt(first["line"], ".1f"),
            _fmt(ens["edge"], "+.2f") if ens else "",
            str(ens["recommendation"] or ens["status"]) if ens else "",
            _fmt(ens["confidence"], ".0f") if ens else "",
            ", ".join(ens["red_flags"]) if ens is not None and len(ens["red_flags"]) else "",
        )
    wide(console).print(table)


def _print_summary(console: Console, summary: RunSummary) -> None:
    statuses = ", ".join(f"{k} {v:,}" for k, v in sorted(summary.statuses.items()))
    new = f"{summary.rows_written:,} new rows"
    if summary.rows_restored:
        new += (
            f" ({summary.rows_restored:,} restored: the aggregation state had them as written, "
            "the destination lacked them)"
        )
    if summary.rows_present:
        new += f", {summary.rows_present:,} rows already present"
    console.print(
        f"{summary.pitcher_games:,} pitcher-games over {summary.dates} date(s) in "
        f"{summary.seconds:.1f} s ({summary.pitcher_games_per_second:,.0f} pitcher-games/s); "
        f"{new}; statuses: {statuses}; dead letters {summary.dead_letters}; "
        f"rejected {summary.rejected}",
        highlight=False,
    )
