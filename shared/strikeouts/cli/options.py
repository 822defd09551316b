"""Options shared by every command: one name, one type, one default rule each.

Invariant: a command takes ``--backend``, ``--format``, ``--warehouse``, ``--model-store``,
``--data-dir`` and dates only through the types here (the ``--help`` test checks it); each
path option falls back to its ``STRIKEOUTS_*`` variable."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from strikeouts.errors import BadInput
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


class Backend(StrEnum):
    """Where a command acts: ``embedded`` (this machine's warehouse, model store and in-process
    pipeline), ``stack`` (the local stack ``strikeouts stack up`` recorded) or ``cloud`` (the
    Google Cloud project of the settings)."""

    embedded = "embedded"
    stack = "stack"
    cloud = "cloud"


BACKEND_RULE = "default: the most local backend the command acts on; cloud is never implied"


def backend_option(*acts_on: Backend, what: str = "") -> Any:
    """``--backend embedded|stack|cloud`` for a command acting on ``acts_on`` (most local
    first; the default must be ``acts_on[0]``). Another backend is one red line, exit 2."""

    def check(value: Backend) -> Backend:
        if value not in acts_on:
            names = " or ".join(b.value for b in acts_on)
            raise BadInput(f"--backend {value.value}: this command acts on {names}")
        return value

    return typer.Option(
        "--backend",
        callback=check,
        help=f"{what}Acts on: {', '.join(b.value for b in acts_on)} ({BACKEND_RULE})",
    )


AnyBackend = Annotated[Backend, backend_option(Backend.embedded, Backend.stack, Backend.cloud)]
"""``--backend`` of a command that acts on all three; its default is ``Backend.embedded``."""
DeployedBackend = Annotated[Backend, backend_option(Backend.stack, Backend.cloud)]
"""``--backend`` of a command that acts on a deployment; its default is ``Backend.stack``."""


class Format(StrEnum):
    """What a command prints: a table for people, JSON for programs."""

    table = "table"
    json = "json"


FormatOpt = Annotated[Format, typer.Option("--format", help="table (for people) or json")]
"""``--format table|json``; its default is ``Format.table``."""


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


def settings_with(*, creates_warehouse: bool = False, **overrides: Any) -> Settings:
    """The environment's settings with the command-line values that were given.

    A command that takes ``--warehouse`` (it passes ``warehouse=``) needs the warehouse to
    exist, unless it is the one that creates warehouses: a typo is an error, never a new
    empty database."""
    given = {k: v for k, v in overrides.items() if v is not None}
    settings = Settings(**given)
    if "warehouse" in overrides and not creates_warehouse:
        require_warehouse(settings.warehouse)
    return settings


def require_warehouse(target: str) -> None:
    """BadInput unless ``target`` is a BigQuery dataset or an existing DuckDB file."""
    if target.startswith("bigquery://") or target == ":memory:" or Path(target).is_file():
        return
    raise BadInput(
        f"no warehouse at {target} (--warehouse, STRIKEOUTS_WAREHOUSE): "
        "run `strikeouts ingest` first, which creates it"
    )


def fail(console: Console, message: str) -> typer.Exit:
    """Print one red line naming what is wrong; the caller raises the returned exit (code 2)."""
    console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code=2)


def wide(console: Console, width: int = 140) -> Console:
    """A console at least ``width`` wide, so tables stay readable when output is piped."""
    return console if console.width >= width else Console(width=width)


def backend_settings(backend: Backend, **overrides: Any) -> Settings:
    """The settings that reach ``backend``: the environment's with the options given
    (embedded, cloud), or those of the local stack ``stack up`` recorded (StackError if none)."""
    if backend is Backend.stack:
        from strikeouts.devstack.stack_info import StackInfo

        return StackInfo.recorded(Settings()).settings()
    return settings_with(**overrides)
