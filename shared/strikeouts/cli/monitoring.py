"""``strikeouts monitor`` and ``strikeouts report``: the check catalog and the HTML report.

Invariant: ``monitor`` exits 1 when a critical check fails and names it; bad arguments (a
malformed date, an unknown check or format, a window below 1) print one red line and exit 2.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from strikeouts.adapters import open_warehouse
from strikeouts.cli.app import app
from strikeouts.cli.options import (
    Format,
    FormatOpt,
    WarehouseOpt,
    date_option,
    fail,
    settings_with,
    wide,
)
from strikeouts.monitoring.checks import CheckResult, failed_critical
from strikeouts.monitoring.report import ReportError, write_report
from strikeouts.monitoring.service import monitor as run_monitor
from strikeouts.warehouse import WarehouseError

STATUS_STYLE = {"pass": "green", "fail": "bold red", "skipped": "yellow"}
CreateViews = Annotated[
    bool,
    typer.Option(
        "--create-views/--no-create-views",
        help="(Re)create the monitoring views first (off where Terraform owns them)",
    ),
]
IncludeInSample = Annotated[
    bool,
    typer.Option(
        "--include-in-sample",
        help="Count rows predicted by a model fitted on starts of their date or later in "
        "accuracy, calibration and ROI (left out by default; their count is always shown)",
    ),
]


@app.command()
def monitor(
    date: Annotated[dt.date, date_option("--date", "Date to check")],
    window: Annotated[
        int | None,
        typer.Option(
            "--window",
            help="Days of the window checks [env: STRIKEOUTS_MONITOR_WINDOW_DAYS]",
            show_default=False,
        ),
    ] = None,
    output: FormatOpt = Format.table,
    check: Annotated[
        list[str] | None, typer.Option("--check", help="Run only this check (repeatable)")
    ] = None,
    warehouse: WarehouseOpt = None,
    create_views: CreateViews = True,
    include_in_sample: IncludeInSample = False,
) -> None:
    """Run the monitoring checks for a date; exit 1 naming any failed critical check."""
    console = Console()
    if window is not None and window < 1:
        raise fail(console, f"--window {window} must be at least 1 day")
    settings = settings_with(
        warehouse=warehouse, monitor=None if window is None else {"window_days": window}
    )
    try:
        store = open_warehouse(settings)
        try:
            results = run_monitor(
                store,
                date,
                settings,
                names=check,
                create_views=create_views,
                include_in_sample=include_in_sample,
            )
        finally:
            store.close()
    except (WarehouseError, ValueError) as exc:
        raise fail(console, str(exc)) from None
    if output is Format.json:
        typer.echo(json.dumps([r.as_dict() for r in results], indent=2))
    else:
        _print_results(wide(console), results, date)
    failed = failed_critical(results)
    if failed:
        Console(stderr=True).print(
            f"[bold red]critical check(s) failed:[/] {', '.join(failed)}", highlight=False
        )
        raise typer.Exit(code=1)


def _print_results(console: Console, results: list[CheckResult], date: dt.date) -> None:
    table = Table(title=f"monitoring checks for {date}")
    for column in ("check", "severity", "status", "value", "threshold", "detail"):
        table.add_column(column, justify="right" if column in ("value", "threshold") else "left")
    for r in results:
        table.add_row(
            r.check,
            r.severity,
            f"[{STATUS_STYLE[r.status]}]{r.status}[/]",
            "" if r.value is None else f"{r.value:.4g}",
            "" if r.threshold is None else f"{r.threshold:g}",
            r.detail,
        )
    console.print(table)


@app.command()
def report(
    start: Annotated[dt.date, date_option("--start", "First date")],
    end: Annotated[dt.date, date_option("--end", "Last date")],
    out: Annotated[Path, typer.Option("--out", help="Folder to write the HTML report into")],
    warehouse: WarehouseOpt = None,
    create_views: CreateViews = True,
    include_in_sample: IncludeInSample = False,
) -> None:
    """Write a self-contained HTML report (opens offline) of a date range."""
    console = Console()
    if end < start:
        raise fail(console, f"--end {end} is before --start {start}")
    settings = settings_with(warehouse=warehouse)
    try:
        store = open_warehouse(settings)
        try:
            path = write_report(
                store,
                start,
                end,
                out,
                create_views=create_views,
                include_in_sample=include_in_sample,
            )
        finally:
            store.close()
    except (WarehouseError, ReportError, OSError) as exc:
        raise fail(console, str(exc)) from None
    console.print(f"wrote {path}", highlight=False)
