"""Options shared by every command; each falls back to its ``STRIKEOUTS_*`` variable."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from strikeouts.settings import Settings

DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir", help="Raw data folder [env: STRIKEOUTS_DATA_DIR]", show_default=False
    ),
]
WarehouseOpt = Annotated[
    str | None,
    typer.Option(
        "--warehouse",
        help="DuckDB file or bigquery://PROJECT/DATASET [env: STRIKEOUTS_WAREHOUSE]",
        show_default=False,
    ),
]
ModelStoreOpt = Annotated[
    str | None,
    typer.Option(
        "--model-store",
        help="Model directory or gs://BUCKET/PREFIX [env: STRIKEOUTS_MODEL_STORE]",
        show_default=False,
    ),
]


def parse_date(text: str | dt.date) -> dt.date:
    """``YYYY-MM-DD`` → date; typer reports a bad value with the option's name and exit code 2.

    A date passes through: typer hands an option's default to the parser as it is."""
    if isinstance(text, dt.date):
        return text
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a date (expected YYYY-MM-DD)") from None


def date_option(name: str, help: str) -> Any:
    """A ``--name YYYY-MM-DD`` option parsed by :func:`parse_date` (the one date syntax)."""
    return typer.Option(name, parser=parse_date, metavar="YYYY-MM-DD", help=help)


def settings_with(**overrides: Any) -> Settings:
    """The environment's settings with the command-line values that were given."""
    given = {k: v for k, v in overrides.items() if v is not None}
    return Settings(**given)


def fail(console: Console, message: str) -> typer.Exit:
    """Print one red line naming what is wrong; the caller raises the returned exit (code 2)."""
    console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code=2)


def wide(console: Console, width: int = 140) -> Console:
    """A console at least ``width`` wide, so tables stay readable when output is piped."""
    return console if console.width >= width else Console(width=width)
