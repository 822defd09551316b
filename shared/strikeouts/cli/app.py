"""The typer application that every command module registers on."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="strikeouts",
    help="MLB pitcher-strikeout predictions: ingest, train, backtest, run and replay.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
)
