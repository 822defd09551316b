"""The local stack's commands (``stack up|down|status|merge``) and the cloud path's own:
``export-predictions`` and ``package-functions`` (a schedule is published by ``schedule
--backend stack|cloud``).

Invariant: a stack that is not up, a date without games or a bad option prints one clear
message naming the value and exits with code 2, never a traceback.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from strikeouts.cli.app import app
from strikeouts.cli.options import (
    AnyBackend,
    Backend,
    Format,
    FormatOpt,
    WarehouseOpt,
    backend_settings,
    date_option,
    settings_with,
)
from strikeouts.settings import Settings

if TYPE_CHECKING:
    from strikeouts.warehouse.base import Warehouse

stack_app = typer.Typer(help="The local stack: Pub/Sub, BigQuery, GCS emulators + the functions.")
app.add_typer(stack_app, name="stack")

DEFAULT_TRAIN_END = dt.date(2025, 3, 1)


@stack_app.command("up")
def stack_up_command(
    warehouse: WarehouseOpt = None,
    train_end: Annotated[
        dt.date,
        date_option(
            "--train-end", "Champions missing from the stack's bucket train on starts before this"
        ),
    ] = DEFAULT_TRAIN_END,
    tick_seconds: Annotated[
        float, typer.Option(help="Ensemble tick interval (the Cloud Scheduler job); 0 = no ticker")
    ] = 60.0,
    persist: Annotated[bool, typer.Option(help="Keep emulator data under state_dir/stack")] = False,
    gameday: Annotated[
        bool,
        typer.Option(
            help="Also run the schedule and results functions against STRIKEOUTS_STATSAPI_URL "
            "and STRIKEOUTS_ODDS_API_URL (e.g. a local fixture server)"
        ),
    ] = False,
) -> None:
    """Start the emulators and the functions on 127.0.0.1 and wire them like the cloud."""
    from strikeouts.devstack.stack import stack_up

    console = Console(stderr=True)
    settings = settings_with(warehouse=warehouse)
    info = stack_up(
        settings,
        feature_warehouse=Path(settings.warehouse),
        train_end=train_end,
        tick_seconds=tick_seconds,
        persist=persist,
        progress=lambda m: console.print(f"· {m}"),
        gameday_env=_gameday_env(settings) if gameday else None,
    )
    console.print(f"stack up: {len(info.processes)} processes, recorded in state_dir/stack.json")
    for name, proc in info.processes.items():
        console.print(f"  {name:<22} pid {proc.pid:<8} port {proc.port or '-'}")
    console.print(f"  warehouse {info.warehouse} at {info.bigquery_endpoint}")


def _gameday_env(settings: Settings) -> dict[str, str]:
    """The live sources' settings handed to the game-day functions of the stack."""
    env = {
        "STRIKEOUTS_STATSAPI_URL": settings.sources.statsapi_url,
        "STRIKEOUTS_ODDS_API_URL": settings.sources.odds_api_url,
        "STRIKEOUTS_DATA_DIR": str(Path(settings.data_dir).resolve()),
    }
    if settings.sources.odds_api_key is not None:
        env["STRIKEOUTS_ODDS_API_KEY"] = settings.sources.odds_api_key.get_secret_value()
    return env


@stack_app.command("down")
def stack_down_command() -> None:
    """Stop every process group the stack recorded."""
    from strikeouts.devstack.stack import stack_down

    names = stack_down(Settings())
    Console(stderr=True).print(f"stopped: {', '.join(names)}")


@stack_app.command("status")
def stack_status_command(output: FormatOpt = Format.table) -> None:
    """Show each process of the stack: pid, port, alive, listening."""
    from strikeouts.devstack.stack import stack_status

    console = Console()
    status = stack_status(Settings())
    if output is Format.json:
        print(json.dumps(status, indent=2))
        return
    for name, s in status.items():
        state = "up" if s["alive"] and s["listening"] is not False else "DOWN"
        console.print(f"{name:<22} {state:<5} pid {s['pid']:<8} port {s['port'] or '-'}")
    if not all(s["alive"] for s in status.values()):
        raise typer.Exit(code=1)


@app.command("export-predictions")
def export_predictions_command(
    out: Annotated[Path, typer.Option("--out", help="CSV file to write")],
    backend: AnyBackend = Backend.embedded,
    run_id: Annotated[list[str] | None, typer.Option(help="Only these run ids")] = None,
    warehouse: WarehouseOpt = None,
) -> None:
    """Export prediction rows (same columns, same order, sorted by key) from any backend's
    warehouse; the stack's and the cloud's staged rows are merged first."""
    from strikeouts.adapters import open_warehouse
    from strikeouts.runtime.export import export_predictions

    console = Console(stderr=True)
    settings = backend_settings(backend, warehouse=warehouse)
    store = open_warehouse(settings)
    try:
        if backend is not Backend.embedded:
            _merge_staged(settings, store, console)
        count = export_predictions(store, out, run_id or None)
    finally:
        store.close()
    console.print(f"wrote {count} prediction rows to {out}")


def _merge_staged(settings: Settings, warehouse: Warehouse, console: Console) -> None:
    """Move staged prediction rows into the final table now (what the tick does each minute)."""
    from strikeouts.cloud.staging import open_merger

    merger = open_merger(settings, warehouse)
    if merger is None:
        return
    result = merger.merge(wait=60.0)
    if result.skipped:
        console.print("another merge held the lease for 60 s: staged rows may be missing")
    else:
        console.print(f"merged {result.inserted} staged rows into the final table")


@stack_app.command("merge")
def stack_merge_command() -> None:
    """MERGE the staged prediction rows into pitcher_strikeout_predictions now."""
    from strikeouts.adapters import open_warehouse

    settings = backend_settings(Backend.stack)
    store = open_warehouse(settings)
    try:
        _merge_staged(settings, store, Console(stderr=True))
    finally:
        store.close()


@app.command("package-functions")
def package_functions_command(
    out: Annotated[
        Path | None, typer.Option(help="Output folder (default build/functions)")
    ] = None,
) -> None:
    """Build each function's deployable folder with the strikeouts package vendored in."""
    from strikeouts.devstack.packaging import DEFAULT_OUT, package_functions

    for folder in package_functions(out_dir=out or DEFAULT_OUT):
        print(folder)
