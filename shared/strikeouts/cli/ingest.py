"""``strikeouts ingest`` and ``strikeouts summary``: raw files into canonical warehouse tables.

Invariant: a bad data directory or file (missing, unreadable, unknown kind) prints one
clear message naming the path and exits with code 2, never a traceback.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from strikeouts.adapters import open_warehouse
from strikeouts.cli.app import app
from strikeouts.cli.options import DataDir, WarehouseOpt, fail, settings_with
from strikeouts.data.download import download_retrosheet_season
from strikeouts.data.files import DataFileError
from strikeouts.data.ingest import IngestReport, ingest_all
from strikeouts.data.notice import RETROSHEET_NOTICE
from strikeouts.data.summary import WarehouseSummary, summarize
from strikeouts.errors import BadInput
from strikeouts.warehouse import WarehouseError


@app.command()
def ingest(
    data_dir: DataDir = None,
    warehouse: WarehouseOpt = None,
    download: Annotated[
        list[int] | None,
        typer.Option(
            "--download",
            metavar="SEASON",
            help="First fetch this season's Retrosheet CSVs into the data dir (repeatable).",
        ),
    ] = None,
    ignore_unknown: Annotated[
        bool,
        typer.Option(
            "--ignore-unknown", help="List files of unknown kind instead of failing on them."
        ),
    ] = False,
) -> None:
    """Rebuild players, games, pitcher_starts, team_games, prop_lines and rejected_rows."""
    console = Console(stderr=False)
    settings = settings_with(data_dir=data_dir, warehouse=warehouse, creates_warehouse=True)
    try:
        for season in download or []:
            for path in download_retrosheet_season(season, settings.data_dir):
                console.print(f"downloaded {path}")
        store = open_warehouse(settings)
        try:
            report = ingest_all(
                settings.data_dir, store, progress=True, ignore_unknown=ignore_unknown
            )
        finally:
            store.close()
    except (DataFileError, WarehouseError, ValueError) as exc:
        raise fail(console, str(exc)) from None
    _print_report(console, report, settings.warehouse)


@app.command()
def summary(warehouse: WarehouseOpt = None) -> None:
    """Print what is in the warehouse: rows, seasons, date ranges, starts, K/start, lines."""
    console = Console()
    settings = settings_with(warehouse=warehouse)
    try:
        store = open_warehouse(settings)
        try:
            found = summarize(store)
        finally:
            store.close()
    except WarehouseError as exc:
        raise fail(console, str(exc)) from None
    if found.tables.empty or int(found.tables["rows"].sum()) == 0:
        raise BadInput(
            f"the warehouse {settings.warehouse} is empty: run `strikeouts ingest` first"
        )
    _print_summary(console, found)


def _print_report(console: Console, report: IngestReport, target: str) -> None:
    table = Table(title=f"ingested into {target} in {report.seconds:.1f} s")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, count in report.rows.items():
        table.add_row(name, f"{count:,}")
    console.print(table)
    checks = Table(title="cross-checks")
    checks.add_column("check")
    checks.add_column("count", justify="right")
    for name, count in report.cross_checks.items():
        checks.add_row(name, f"{count:,}")
    console.print(checks)
    for reason, count in sorted(report.rejection_reasons.items()):
        console.print(f"rejected {count:,}: {reason}", highlight=False)
    for path in report.unknown_files:
        console.print(f"[yellow]ignored unknown file[/] {path}", highlight=False)
    console.print(RETROSHEET_NOTICE, style="dim")


def _print_summary(console: Console, found: WarehouseSummary) -> None:
    tables = Table(title="warehouse tables")
    for column in ("table", "rows", "seasons", "first", "last"):
        tables.add_column(column, justify="right" if column == "rows" else "left")
    for row in found.tables.to_dict("records"):
        tables.add_row(
            str(row["table"]), f"{int(row['rows']):,}", row["seasons"], row["first"], row["last"]
        )
    console.print(tables)
    starts = Table(title="pitcher starts by season")
    for column in ("season", "starts", "K/start", "sd", "with pitches"):
        starts.add_column(column, justify="right")
    for row in found.starts.to_dict("records"):
        starts.add_row(
            str(row["season"]),
            f"{int(row['starts']):,}",
            f"{row['k_mean']:.2f}",
            f"{row['k_sd']:.2f}",
            f"{int(row['with_pitches']):,}",
        )
    console.print(starts)
    rate = found.line_match_rate
    if rate is not None:
        console.print(
            f"prop lines: {found.lines['lines']:,}; matched to a pitcher "
            f"{found.lines['matched_pitcher']:,}; joined a start {found.lines['joined_start']:,}; "
            f"line match rate (inside the starts' date range) {rate:.1%}",
            highlight=False,
        )
    else:
        console.print("prop lines: none")
