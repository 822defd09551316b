"""Accuracy, probability and betting metrics of strikeout predictions.

Conventions kept by every function here:

- a push (actual strikeouts equal to the line) is neither a win nor a loss: it is excluded
  from hit rates, Brier score and log loss, and returns the stake (0 profit) in ROI;
- pairs with a missing value (NaN prediction, actual, line or probability) are left out, and
  every result reports how many rows it used;
- a bet needs a price for the side bet; a bet without one is not placed (never a default
  price standing in for data).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from strikeouts.evaluation.odds import devig_two_way, profit_per_unit

FloatArray = npt.NDArray[np.float64]
EdgeKind = Literal["count", "prob"]

DEFAULT_THRESHOLDS: tuple[float, ...] = (0.5, 1.0, 1.5)
DEFAULT_PROB_THRESHOLDS: tuple[float, ...] = (0.03, 0.05, 0.10)
LOG_LOSS_EPS = 1e-15
KEY_COLUMNS = ("game_id", "pitcher_id", "system_id")
REQUIRED_COLUMNS = (
    "game_date",
    "game_id",
    "pitcher_id",
    "system_id",
    "predicted_strikeouts",
    "p_over",
    "line",
    "close_over",
    "close_under",
    "actual_strikeouts",
)


def _floats(values: npt.ArrayLike) -> FloatArray:
    return np.asarray(values, dtype=np.float64)


def _paired(a: npt.ArrayLike, b: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    x, y = _floats(a), _floats(b)
    if x.shape != y.shape:
        raise ValueError(f"arrays differ in shape: {x.shape} vs {y.shape}")
    keep = ~(np.isnan(x) | np.isnan(y))
    return x[keep], y[keep]


def mae(predicted: npt.ArrayLike, actual: npt.ArrayLike) -> float:
    """Mean absolute error over the pairs where both are known (NaN when none are)."""
    p, a = _paired(predicted, actual)
    return float(np.mean(np.abs(p - a))) if p.size else math.nan


def rmse(predicted: npt.ArrayLike, actual: npt.ArrayLike) -> float:
    """Root mean squared error over the pairs where both are known."""
    p, a = _paired(predicted, actual)
    return float(np.sqrt(np.mean((p - a) ** 2))) if p.size else math.nan


def bias(predicted: npt.ArrayLike, actual: npt.ArrayLike) -> float:
    """Mean of predicted − actual (positive: predictions run high)."""
    p, a = _paired(predicted, actual)
    return float(np.mean(p - a)) if p.size else math.nan


def over_outcome(actual: npt.ArrayLike, line: npt.ArrayLike) -> FloatArray:
    """1.0 when actual > line, 0.0 when below, NaN for a push or a missing actual or line."""
    a, ln = _floats(actual), _floats(line)
    with np.errstate(invalid="ignore"):
        outcome = np.where(a > ln, 1.0, 0.0)
    outcome[(a == ln) | np.isnan(a) | np.isnan(ln)] = np.nan
    return outcome


def _checked_probabilities(p: FloatArray) -> FloatArray:
    bad = (p < 0) | (p > 1)
    if np.any(bad):
        raise ValueError(f"probabilities must be in [0, 1]; got {p[bad][:5].tolist()}")
    return p


def brier(p_over: npt.ArrayLike, outcome: npt.ArrayLike) -> float:
    """Mean squared error of p_over against the 1/0 outcome, pushes (NaN) excluded."""
    p, o = _paired(p_over, outcome)
    _checked_probabilities(p)
    return float(np.mean((p - o) ** 2)) if p.size else math.nan


def log_loss(p_over: npt.ArrayLike, outcome: npt.ArrayLike, eps: float = LOG_LOSS_EPS) -> float:
    """Mean negative log-likelihood, p clipped to [eps, 1 − eps], pushes (NaN) excluded."""
    p, o = _paired(p_over, outcome)
    p = np.clip(_checked_probabilities(p), eps, 1 - eps)
    if not p.size:
        return math.nan
    return float(-np.mean(o * np.log(p) + (1 - o) * np.log(1 - p)))


@dataclass(frozen=True)
class BetResults:
    """Outcome of one betting rule at one threshold, every bet 1 unit at the side's price."""

    threshold: float
    edge: str
    n_bets: int
    n_over: int
    n_under: int
    wins: int
    losses: int
    pushes: int
    profit: float
    hit_rate: float
    """wins / (wins + losses): pushes excluded."""
    roi: float
    """profit / units staked; a push is a staked unit returned with 0 profit."""

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready fields (NaN as None)."""
        return {k: _json_number(v) for k, v in asdict(self).items()}


def bet_results(
    edge: npt.ArrayLike,
    line: npt.ArrayLike,
    actual: npt.ArrayLike,
    over_odds: npt.ArrayLike,
    under_odds: npt.ArrayLike,
    threshold: float,
    kind: EdgeKind = "count",
) -> BetResults:
    """Bet OVER where edge ≥ threshold, UNDER where edge ≤ −threshold, and score the bets.

    ``edge`` is predicted − line (``kind="count"``, in strikeouts) or p_over − de-vigged
    close p_over (``kind="prob"``). An edge of exactly 0 never bets. Rows without a line,
    an actual or a price for the side bet place no bet.
    """
    if threshold < 0:
        raise ValueError(f"threshold must be >= 0; got {threshold}")
    e, ln, a = _floats(edge), _floats(line), _floats(actual)
    price_over, price_under = _floats(over_odds), _floats(under_odds)
    with np.errstate(invalid="ignore"):
        known = ~(np.isnan(e) | np.isnan(ln) | np.isnan(a))
        over = known & (e >= threshold) & (e > 0) & ~np.isnan(price_over)
        under = known & (e <= -threshold) & (e < 0) & ~np.isnan(price_under)
    push = (over | under) & (a == ln)
    win = (over & (a > ln)) | (under & (a < ln))
    loss = (over | under) & ~win & ~push
    price = np.where(over, price_over, price_under)
    profit = float(profit_per_unit(price[win]).sum() - loss.sum())
    n_bets = int(over.sum() + under.sum())
    decided = int(win.sum() + loss.sum())
    return BetResults(
        threshold=float(threshold),
        edge=kind,
        n_bets=n_bets,
        n_over=int(over.sum()),
        n_under=int(under.sum()),
        wins=int(win.sum()),
        losses=int(loss.sum()),
        pushes=int(push.sum()),
        profit=profit,
        hit_rate=win.sum() / decided if decided else math.nan,
        roi=profit / n_bets if n_bets else math.nan,
    )


def _json_number(value: Any) -> Any:
    if isinstance(value, float | np.floating):
        return None if math.isnan(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    return value


def check_predictions(frame: pd.DataFrame) -> None:
    """Refuse a predictions frame missing a column or holding a key twice."""
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"predictions frame is missing columns {missing}")
    duplicated = frame.duplicated(list(KEY_COLUMNS), keep=False)
    if bool(duplicated.any()):
        first = frame.loc[duplicated, list(KEY_COLUMNS)].iloc[0].to_dict()
        raise ValueError(
            f"predictions frame has {int(duplicated.sum())} rows sharing a "
            f"(game_id, pitcher_id, system_id) key, e.g. {first}"
        )


def _system_metrics(
    rows: pd.DataFrame,
    thresholds: Sequence[float],
    prob_thresholds: Sequence[float],
) -> tuple[dict[str, Any], list[BetResults]]:
    predicted, actual = rows["predicted_strikeouts"], rows["actual_strikeouts"]
    lined = rows[rows["line"].notna() & actual.notna()]
    outcome = over_outcome(lined["actual_strikeouts"], lined["line"])
    close_p_over, _ = devig_two_way(lined["close_over"], lined["close_under"])
    metrics: dict[str, Any] = {
        "n": int((predicted.notna() & actual.notna()).sum()),
        "mae": mae(predicted, actual),
        "rmse": rmse(predicted, actual),
        "bias": bias(predicted, actual),
        "naive_mae": (
            mae(rows["naive_prediction"], actual) if "naive_prediction" in rows else math.nan
        ),
        "n_with_line": len(lined),
        "n_pushes": int(np.isnan(outcome).sum()),
        "mae_on_lined": mae(lined["predicted_strikeouts"], lined["actual_strikeouts"]),
        "line_mae": mae(lined["line"], lined["actual_strikeouts"]),
        "brier": brier(lined["p_over"], outcome),
        "log_loss": log_loss(lined["p_over"], outcome),
        "close_brier": brier(close_p_over, outcome),
        "close_log_loss": log_loss(close_p_over, outcome),
        **_median_metrics(rows, lined),
        **_open_metrics(lined),
    }
    args = (lined["line"], lined["actual_strikeouts"], lined["close_over"], lined["close_under"])
    count_edge = lined["predicted_strikeouts"] - lined["line"]
    prob_edge = lined["p_over"].to_numpy(dtype=np.float64) - close_p_over
    bets = [bet_results(count_edge, *args, t, "count") for t in thresholds]
    bets += [bet_results(prob_edge, *args, t, "prob") for t in prob_thresholds]
    for bet in bets:
        suffix = f"{bet.edge}@{bet.threshold:g}"
        metrics[f"n_bets_{suffix}"] = bet.n_bets
        metrics[f"hit_rate_{suffix}"] = bet.hit_rate
        metrics[f"roi_{suffix}"] = bet.roi
    return metrics, bets


def _median_metrics(rows: pd.DataFrame, lined: pd.DataFrame) -> dict[str, float]:
    """MAE of the distribution's median (the point that minimises it), on all and lined rows."""
    if "predicted_median" not in rows:
        return {"median_mae": math.nan, "median_mae_on_lined": math.nan}
    return {
        "median_mae": mae(rows["predicted_median"], rows["actual_strikeouts"]),
        "median_mae_on_lined": mae(lined["predicted_median"], lined["actual_strikeouts"]),
    }


def _open_metrics(lined: pd.DataFrame) -> dict[str, float]:
    """Brier and log loss of P(over the opening line) (``p_over_open``) against that line."""
    if "p_over_open" not in lined or "open_line" not in lined:
        return {"open_brier": math.nan, "open_log_loss": math.nan}
    opened = lined[lined["open_line"].notna()]
    outcome = over_outcome(opened["actual_strikeouts"], opened["open_line"])
    return {
        "open_brier": brier(opened["p_over_open"], outcome),
        "open_log_loss": log_loss(opened["p_over_open"], outcome),
    }


def summarize(
    predictions: pd.DataFrame,
    thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
    prob_thresholds: Sequence[float] = DEFAULT_PROB_THRESHOLDS,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Per-system table of accuracy, probability and betting metrics, and the same as JSON.

    ``predictions`` has one row per (game_id, pitcher_id, system_id) with the columns in
    ``REQUIRED_COLUMNS`` (``line``/``close_over``/``close_under`` the closing market, NaN when
    none) and optionally ``naive_prediction``. Line-based metrics use only rows with a line;
    ``mae_on_lined`` is the model's MAE on those same rows, comparable with ``line_mae``.
    The dict maps system id to its metrics plus a ``bets`` list (one entry per threshold),
    with NaN written as None.
    """
    check_predictions(predictions)
    table_rows: list[dict[str, Any]] = []
    report: dict[str, Any] = {}
    for system_id, rows in predictions.groupby("system_id", sort=True):
        metrics, bets = _system_metrics(rows, thresholds, prob_thresholds)
        table_rows.append({"system_id": system_id, **metrics})
        report[str(system_id)] = {
            **{k: _json_number(v) for k, v in metrics.items()},
            "bets": [bet.as_dict() for bet in bets],
        }
    return pd.DataFrame(table_rows), report
