"""Reliability of over-probabilities: binned predicted vs observed over rates, and a plot.

Pushes and missing values are excluded before binning, so the bin counts of a source always
sum to its number of decided (non-push) starts. The plot is drawn on a standalone Agg figure
and never touches matplotlib's global backend.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from strikeouts.evaluation.metrics import check_predictions, over_outcome
from strikeouts.evaluation.odds import devig_two_way

CLOSE_SOURCE = "close (de-vigged)"
BIN_COLUMNS = ["bin", "bin_lower", "bin_upper", "n", "mean_predicted", "observed_rate"]


def reliability_bins(
    p_over: npt.ArrayLike, outcome: npt.ArrayLike, n_bins: int = 10
) -> pd.DataFrame:
    """Equal-width bins on [0, 1] (1.0 falls in the last): count, mean p, observed over rate.

    Rows whose outcome or probability is NaN (pushes, no line) are left out; empty bins are
    kept with n = 0 and NaN rates so every source has the same bins.
    """
    if n_bins < 1:
        raise ValueError(f"n_bins must be >= 1; got {n_bins}")
    p, o = np.asarray(p_over, dtype=np.float64), np.asarray(outcome, dtype=np.float64)
    keep = ~(np.isnan(p) | np.isnan(o))
    p, o = p[keep], o[keep]
    if np.any((p < 0) | (p > 1)):
        raise ValueError(
            f"probabilities must be in [0, 1]; got {p[(p < 0) | (p > 1)][:5].tolist()}"
        )
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    index = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, n_bins - 1)
    counts = np.bincount(index, minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_p = np.bincount(index, weights=p, minlength=n_bins) / counts
        rate = np.bincount(index, weights=o, minlength=n_bins) / counts
    return pd.DataFrame(
        {
            "bin": np.arange(n_bins),
            "bin_lower": edges[:-1],
            "bin_upper": edges[1:],
            "n": counts.astype(np.int64),
            "mean_predicted": mean_p,
            "observed_rate": rate,
        },
        columns=BIN_COLUMNS,
    )


def expected_calibration_error(bins: pd.DataFrame) -> float:
    """Count-weighted mean |mean predicted − observed rate| over the non-empty bins."""
    filled = bins[bins["n"] > 0]
    if filled.empty:
        return float("nan")
    gap = (filled["mean_predicted"] - filled["observed_rate"]).abs()
    return float((gap * filled["n"]).sum() / filled["n"].sum())


def reliability_table(predictions: pd.DataFrame, n_bins: int = 10) -> pd.DataFrame:
    """Reliability bins per system plus the de-vigged close (one per pitcher-game), tidy.

    Columns: ``source`` (a system id or :data:`CLOSE_SOURCE`) then :data:`BIN_COLUMNS`.
    """
    check_predictions(predictions)
    parts = []
    for system_id, rows in predictions.groupby("system_id", sort=True):
        outcome = over_outcome(rows["actual_strikeouts"], rows["line"])
        parts.append(reliability_bins(rows["p_over"], outcome, n_bins).assign(source=system_id))
    # The close is one market per pitcher-game, whatever the number of systems scored on it.
    games = predictions.drop_duplicates(["game_id", "pitcher_id"])
    close_p_over, _ = devig_two_way(games["close_over"], games["close_under"])
    close_outcome = over_outcome(games["actual_strikeouts"], games["line"])
    parts.append(reliability_bins(close_p_over, close_outcome, n_bins).assign(source=CLOSE_SOURCE))
    return pd.concat(parts, ignore_index=True)[["source", *BIN_COLUMNS]]


MIN_POINTS_PER_BIN = 20  # a bin with fewer graded starts is noise, not calibration


def plot_reliability(
    table: pd.DataFrame, path: str | Path, title: str = "P(over) reliability"
) -> Path:
    """Write a PNG with one reliability curve per source of ``table`` and the diagonal.

    Sources without any probability are left out; bins with fewer than
    :data:`MIN_POINTS_PER_BIN` graded starts are not drawn (the legend counts every start).
    """
    figure = Figure(figsize=(6.5, 6.0), dpi=110)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot(1, 1, 1)
    axes.plot([0, 1], [0, 1], linestyle=":", color="grey", label="perfectly calibrated")
    for source, bins in table.groupby("source", sort=False):
        filled = bins[bins["n"] > 0]
        if filled.empty:
            continue
        shown = filled[filled["n"] >= MIN_POINTS_PER_BIN]
        dashed = source == CLOSE_SOURCE
        axes.plot(
            shown["mean_predicted"],
            shown["observed_rate"],
            marker="o",
            linestyle="--" if dashed else "-",
            color="black" if dashed else None,
            label=f"{source} (n={int(filled['n'].sum())})",
        )
    axes.set(xlim=(0, 1), ylim=(0, 1), xlabel="predicted P(over)", ylabel="observed over rate")
    axes.set_title(title)
    axes.legend(loc="upper left", fontsize="small")
    axes.grid(alpha=0.3)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out, format="png")
    return out
