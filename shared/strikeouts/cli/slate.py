"""What the embedded runs share on the command line: the champions they predict with, and the
slate and summary they print (``run``, ``replay``, ``schedule``, ``daily``).

Invariant: models are trained only on starts strictly before the first date predicted, and a
model trained later than that is named in a warning, never used silently.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Mapping
from typing import Any

import pandas as pd
from rich.console import Console
from rich.table import Table

from strikeouts.adapters import open_model_store
from strikeouts.cli.options import wide
from strikeouts.models.service import ensure_champions
from strikeouts.names import SHADOW_PREDICTIONS
from strikeouts.runtime.predictors import ModelPredictor, UnavailablePredictor
from strikeouts.runtime.runner import RunSummary, serving_predictors
from strikeouts.runtime.served import load_challengers
from strikeouts.settings import Settings
from strikeouts.warehouse import Warehouse


def champions(
    console: Console, settings: Settings, warehouse: Warehouse, train_end: dt.date
) -> list[ModelPredictor | UnavailablePredictor]:
    """Champions of every system, training the missing ones on starts before ``train_end``; a
    champion that cannot be loaded is named in a warning and its system answers ``error``."""
    store = open_model_store(settings)
    with console.status("checking models...") as status:
        ensure_champions(
            warehouse,
            store,
            train_end,
            progress=lambda message: status.update(message + " ..."),
        )
    predictors = serving_predictors(store)
    for p in predictors:
        if isinstance(p, UnavailablePredictor):
            console.print(
                f"[bold red]warning:[/] {p.system_id}@{p.model_alias} cannot be loaded "
                f"({p.error}): its rows will be errors and the ensemble falls back to the others",
                highlight=False,
            )
        elif p.system.metadata.train_end > train_end:
            console.print(
                f"[yellow]warning:[/] {p.system_id}@{p.model_alias} ({p.model_version}) was trained "
                f"on starts up to {p.system.metadata.train_end}, after {train_end}: "
                "its predictions for these dates are not out of sample",
                highlight=False,
            )
    return predictors


def challengers(console: Console, settings: Settings) -> dict[str, ModelPredictor]:
    """The challengers to shadow (systems whose ``challenger`` alias differs from the champion),
    each named on one line."""
    found = load_challengers(open_model_store(settings))
    for p in found.values():
        console.print(
            f"shadowing {p.system_id}@challenger ({p.model_version}): its rows go to "
            f"{SHADOW_PREDICTIONS}",
            highlight=False,
        )
    return found


def _fmt(value: float | None, pattern: str) -> str:
    return "" if value is None or pd.isna(value) else format(value, pattern)


def _present(value: object) -> bool:
    return value is not None and not (isinstance(value, float) and pd.isna(value))


def _call(row: dict[Any, Any]) -> str:
    """OVER, UNDER or PASS; a skipped or failed row shows its status (never ``nan``)."""
    value = next((v for v in (row["recommendation"], row["status"]) if _present(v) and v), "")
    return str(value)


def _count(row: Mapping[Hashable, Any]) -> str:
    """A row's mean and, beside it, its distribution's median."""
    mean = _fmt(row["predicted_strikeouts"], ".2f")
    median = _fmt(row.get("predicted_median"), "g")
    return f"{mean} ({median})" if mean and median else mean


def print_slate(console: Console, summary: RunSummary) -> None:
    rows = summary.rows
    if rows.empty:
        return
    systems = sorted(s for s in rows["system_id"].unique() if not s.startswith("ensemble"))
    ensemble = next((s for s in rows["system_id"].unique() if s.startswith("ensemble")), None)
    table = Table(
        title=f"{summary.first} · run {', '.join(summary.run_ids)}",
        caption="each system and the ensemble: mean (median) of its strikeout distribution",
    )
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
            *[_count(by_system[s]) if s in by_system else "" for s in systems],
            _count(ens) if ens else "",
            _fmt(first["line"], ".1f"),
            _fmt(ens["edge"], "+.2f") if ens else "",
            _call(ens) if ens else "",
            _fmt(ens["confidence"], ".0f") if ens else "",
            ", ".join(ens["red_flags"]) if ens is not None and len(ens["red_flags"]) else "",
        )
    wide(console).print(table)


def print_summary(console: Console, summary: RunSummary) -> None:
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
        f"rejected {summary.rejected}; announced complete {summary.completions} "
        "(run_completions)",
        highlight=False,
    )
