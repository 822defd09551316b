"""``strikeouts predict``: what every system and the ensemble think of one pitcher-game, at any
line: the expected count, P(over/under), fair odds, the expected profit at given prices and
the whole count distribution.

Invariant: bad arguments (unknown pitcher, no start that day, a malformed line or price) print
one red line naming the value and exit 2, never a traceback.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from strikeouts.adapters import open_model_store, open_warehouse
from strikeouts.cli.app import app
from strikeouts.cli.options import (
    Format,
    FormatOpt,
    ModelStoreOpt,
    WarehouseOpt,
    date_option,
    fail,
    settings_with,
    wide,
)
from strikeouts.models.store import ModelStoreError
from strikeouts.runtime.quote import Quote, QuoteError, pitcher_game_message, quote
from strikeouts.runtime.quote_json import parse_price, quote_document
from strikeouts.runtime.runner import load_predictors
from strikeouts.warehouse import WarehouseError


@app.command()
def predict(
    pitcher: Annotated[str, typer.Option("--pitcher", help="MLBAM id or name of the starter")],
    date: Annotated[dt.date, date_option("--date", "Game date")],
    line: Annotated[
        list[str] | None,
        typer.Option(
            "--line",
            help="A line to price, optionally with the book's prices: 6.5 or 6.5@-120/+100 "
            "(repeat; default: the line the pipeline sees)",
        ),
    ] = None,
    output: FormatOpt = Format.table,
    warehouse: WarehouseOpt = None,
    model_store: ModelStoreOpt = None,
) -> None:
    """Price one pitcher-game at any line, per system and for the ensemble."""
    console = Console()
    settings = settings_with(warehouse=warehouse, model_store=model_store)
    try:
        prices = [parse_price(text) for text in line or []]
        predictors = load_predictors(open_model_store(settings))
        store = open_warehouse(settings)
        try:
            message = pitcher_game_message(store, pitcher, date, [p.system_id for p in predictors])
        finally:
            store.close()
        result = quote(message, predictors, prices)
    except (QuoteError, WarehouseError, ModelStoreError) as exc:
        raise fail(console, str(exc)) from None
    if output is Format.json:
        print(json.dumps(quote_document(result), indent=2))
        return
    _print(console, result)


def _print(console: Console, result: Quote) -> None:
    where = "vs" if result.is_home else "@"
    flags = ", ".join(result.red_flags) or "none"
    console.print(
        f"{result.pitcher_name or result.pitcher_id} ({result.team}) {where} {result.opponent}, "
        f"{result.game_date}; red flags: {flags}"
        + (f" — the pipeline would skip: {result.skip_reason}" if result.skip_reason else ""),
        highlight=False,
    )
    table = Table(caption="P = P(over | no push); fair = break-even American odds; EV = expected "
                  "profit of 1 unit at the given price")  # fmt: skip
    for column in ("system", "expected", "median", "line", "P(over)", "fair over", "fair under",
                   "EV over", "EV under", "mode", "P(K≤3)", "P(K≥8)"):  # fmt: skip
        table.add_column(column, justify="left" if column == "system" else "right")
    for system in result.systems:
        dist = system.distribution
        mode = max(range(len(dist)), key=dist.__getitem__)
        tail = (f"{sum(dist[:4]):.3f}", f"{sum(dist[8:]):.3f}")
        for i, priced in enumerate(system.lines or [None]):
            first = i == 0
            table.add_row(
                system.system_id if first else "",
                f"{system.expected_strikeouts:.2f}" if first else "",
                f"{system.median:g}" if first and system.median is not None else "",
                "" if priced is None else f"{priced.line:g}",
                "" if priced is None else f"{priced.p_over:.3f}",
                "" if priced is None else _odds(priced.fair_over),
                "" if priced is None else _odds(priced.fair_under),
                "" if priced is None else _ev(priced.ev_over),
                "" if priced is None else _ev(priced.ev_under),
                str(mode) if first else "",
                tail[0] if first else "",
                tail[1] if first else "",
            )
    wide(console).print(table)


def _odds(value: float | None) -> str:
    return "—" if value is None else f"{value:+.0f}"


def _ev(value: float | None) -> str:
    return "" if value is None else f"{value:+.3f}"
