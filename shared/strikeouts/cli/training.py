"""``strikeouts train`` and ``strikeouts backtest``: models into the store, honest accuracy out.

Invariant: every error the user can fix (unknown system, empty range, missing alias, corrupt
artifact) is one red line naming it, exit code 2, never a traceback.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from strikeouts.adapters import open_model_store, open_warehouse
from strikeouts.backtest.alternates import score_alternates
from strikeouts.backtest.confidence import confidence_buckets
from strikeouts.backtest.walkforward import (
    SNAPSHOT_CHOICES,
    BacktestError,
    Retrain,
    snapshot_rows,
)
from strikeouts.cli.app import app
from strikeouts.cli.options import (
    ModelStoreOpt,
    WarehouseOpt,
    date_option,
    fail,
    settings_with,
    wide,
)
from strikeouts.data.notice import RETROSHEET_NOTICE
from strikeouts.evaluation.calibration import plot_reliability, reliability_table
from strikeouts.evaluation.metrics import summarize
from strikeouts.features.targets import TargetError
from strikeouts.models.service import register, train, training_frame
from strikeouts.models.store import ModelStoreError
from strikeouts.models.systems import UnknownSystemError, get_system
from strikeouts.models.training import TrainingError
from strikeouts.warehouse import WarehouseError

RETRAIN_CHOICES = ("monthly", "weekly", "once")
USER_ERRORS = (
    BacktestError,
    ModelStoreError,
    TargetError,
    TrainingError,
    UnknownSystemError,
    WarehouseError,
)


@app.command("train")
def train_command(
    system: Annotated[str, typer.Option("--system", help="System id, e.g. v1_baseline")],
    train_end: Annotated[dt.date, date_option("--train-end", "Train on starts before this date")],
    alias: Annotated[
        str | None, typer.Option("--alias", help="Point this alias (e.g. champion) at the model")
    ] = None,
    warehouse: WarehouseOpt = None,
    model_store: ModelStoreOpt = None,
) -> None:
    """Train one system on starts before --train-end and save it to the model store."""
    console = Console()
    try:
        get_system(system)  # a bad argument is named before any file is looked for
    except USER_ERRORS as exc:
        raise fail(console, str(exc)) from None
    settings = settings_with(warehouse=warehouse, model_store=model_store)
    try:
        end = train_end
        with console.status(f"building features and training {system} (before {end})"):
            model = train(training_frame(open_warehouse(settings), end), system, end)
        ref = register(open_model_store(settings), model, alias)
    except USER_ERRORS as exc:
        raise fail(console, str(exc)) from None
    metrics = model.metadata.validation_metrics
    console.print(
        f"saved [bold]{ref}[/] ({model.metadata.n_train_rows} starts "
        f"{model.metadata.train_start}..{end - dt.timedelta(days=1)}; validation MAE "
        f"{metrics['mae']:.3f}, dispersion {model.alpha:.4f})"
        + (f"; alias {alias} → {ref.version}" if alias else "")
    )


@app.command()
def backtest(
    start: Annotated[dt.date, date_option("--start", "First date to predict")],
    end: Annotated[dt.date, date_option("--end", "Last date to predict")],
    predictions_out: Annotated[
        Path, typer.Option("--predictions-out", help="CSV of one row per start and system")
    ],
    retrain: Annotated[str, typer.Option("--retrain", help="monthly | weekly | once")] = "monthly",
    summary_out: Annotated[
        Path | None, typer.Option("--summary-out", help="JSON summary (default: beside the CSV)")
    ] = None,
    warehouse: WarehouseOpt = None,
    line_snapshot: Annotated[
        str,
        typer.Option(
            "--line-snapshot",
            help="Line the predictions may see: open (= first, the morning snapshot), close (= "
            "last, the snapshot before first pitch) or both (side by side; close rows are "
            "SYSTEM@last)",
        ),
    ] = "first",
) -> None:
    """Walk-forward backtest: retrain each period on earlier starts only, predict the period."""
    console = Console()
    if retrain not in RETRAIN_CHOICES:
        raise fail(console, f"--retrain={retrain!r}: expected one of {', '.join(RETRAIN_CHOICES)}")
    if line_snapshot not in SNAPSHOT_CHOICES:
        raise fail(
            console,
            f"--line-snapshot={line_snapshot!r}: expected one of {', '.join(SNAPSHOT_CHOICES)}",
        )
    settings = settings_with(warehouse=warehouse)
    try:
        with console.status("walk-forward backtest") as status:
            alternates: list[pd.DataFrame] = []
            rows = snapshot_rows(
                open_warehouse(settings),
                start,
                end,
                _retrain(retrain),
                line_snapshot,
                lambda msg: status.update(msg),
                alternates=alternates,
            )
    except USER_ERRORS as exc:
        raise fail(console, str(exc)) from None
    table, by_system = summarize(rows)
    buckets = confidence_buckets(rows)
    scores = score_alternates(alternates)
    summary: dict[str, object] = {
        "start": str(start),
        "end": str(end),
        "retrain": retrain,
        "evaluation": "walk-forward; p_over and line are the closing market; pushes excluded",
        "line_snapshot": line_snapshot,
        "systems": by_system,
        "confidence_buckets": buckets.to_dict("records"),
        "alternate_lines": scores.to_dict("records"),
        "notice": RETROSHEET_NOTICE,
    }
    outputs = write_outputs(rows, summary, predictions_out, summary_out)
    wide(console).print(summary_table(table, start, end))
    wide(console).print(buckets_table(buckets))
    wide(console).print(alternates_table(scores))
    for label, path in outputs.items():
        console.print(f"{label}: {path}")
    console.print(RETROSHEET_NOTICE, style="dim")


def _retrain(value: str) -> Retrain:
    if value == "weekly":
        return "weekly"
    return "once" if value == "once" else "monthly"


def write_outputs(
    rows: pd.DataFrame,
    summary: dict[str, object],
    predictions_out: Path,
    summary_out: Path | None,
) -> dict[str, Path]:
    """The predictions CSV, the JSON summary and the calibration PNG; returns their paths."""
    predictions_out.parent.mkdir(parents=True, exist_ok=True)
    rows.to_csv(predictions_out, index=False)
    summary_path = summary_out or predictions_out.with_suffix(".summary.json")
    summary_path.write_text(json.dumps(summary, indent=2, default=str) + "\n")
    plot_path = predictions_out.with_suffix(".calibration.png")
    plot_reliability(reliability_table(rows), plot_path)
    return {"predictions": predictions_out, "summary": summary_path, "calibration": plot_path}


def summary_table(table: pd.DataFrame, start: dt.date, end: dt.date) -> Table:
    """The headline numbers per system, next to the closing line and the naive baseline."""
    out = Table(
        title=f"Walk-forward {start}..{end}",
        caption="n/MAE/median/bias over all starts (MAE of the mean, then of the median); from "
        "'lined' on: the starts with a closing line (line = the closing line's MAE, Brier at the "
        "closing line, close = de-vigged closing Brier, open = Brier at the opening line; pushes "
        "excluded)",
    )
    for column in ("system", "n", "MAE", "median", "bias", "lined", "MAE", "median", "line",
                   "Brier", "close", "logloss", "open", "hit@.5", "ROI@.5"):  # fmt: skip
        out.add_column(column, justify="right" if column != "system" else "left")
    for row in table.to_dict("records"):
        out.add_row(
            str(row["system_id"]),
            f"{row['n']}",
            _fmt(row["mae"]),
            _fmt(row["median_mae"]),
            _fmt(row["bias"], signed=True),
            f"{row['n_with_line']}",
            _fmt(row["mae_on_lined"]),
            _fmt(row["median_mae_on_lined"]),
            _fmt(row["line_mae"]),
            _fmt(row["brier"]),
            _fmt(row["close_brier"]),
            _fmt(row["log_loss"]),
            _fmt(row["open_brier"]),
            _fmt(row.get("hit_rate_count@0.5")),
            _fmt(row.get("roi_count@0.5"), signed=True),
        )
    return out


def buckets_table(buckets: pd.DataFrame) -> Table:
    """Hit rate and MAE by 10-point confidence bucket: does the confidence mean what it says?"""
    out = Table(
        title="Confidence buckets",
        caption="confidence = 100 × P(favoured side wins) at the opening line (what the "
        "pipeline sees), shrunk; hit = that side's wins over decided bets against that line "
        "(± one standard error)",
    )
    for column in ("system", "bucket", "n", "mean conf", "hit rate", "± se", "MAE"):
        out.add_column(column, justify="right" if column != "system" else "left")
    for row in buckets.to_dict("records"):
        out.add_row(
            str(row["system_id"]),
            f"{row['bucket']}-{row['bucket'] + 10}",
            f"{row['n']}",
            f"{row['mean_confidence']:.1f}",
            _fmt(row["hit_rate"]),
            _fmt(row["hit_rate_se"]),
            _fmt(row["mae"]),
        )
    return out


def alternates_table(scores: pd.DataFrame) -> Table:
    """Brier and log loss on every priced closing line, next to the de-vigged books'."""
    out = Table(
        title="Every priced closing line",
        caption="P(over) of each system at the main and the alternate lines the books priced "
        "at close, against the books' median de-vigged P(over) on the same lines (pushes out)",
    )
    for column in ("system", "lines", "n", "Brier", "book", "logloss", "book"):
        out.add_column(column, justify="right" if column not in ("system", "lines") else "left")
    for row in scores.to_dict("records"):
        out.add_row(
            str(row["system_id"]),
            str(row["lines"]),
            f"{row['n']}",
            _fmt(row["brier"]),
            _fmt(row["book_brier"]),
            _fmt(row["log_loss"]),
            _fmt(row["book_log_loss"]),
        )
    return out


def _fmt(value: object, signed: bool = False) -> str:
    if not isinstance(value, int | float) or value != value:
        return "—"
    return f"{float(value):+.3f}" if signed else f"{float(value):.3f}"
