"""The accuracy table of docs/MODELING.md from one walk-forward predictions CSV.

Usage: .venv/bin/python benchmarks/market_table.py PREDICTIONS.csv [--weights-grid 0.1]

Every row is scored on the same starts: those with an opening and a closing line and an
outcome. Rows: each system and ensemble_v1 as the backtest wrote them; the raw opening and
closing lines as point predictions; the de-vigged opening market as a distribution (the
Poisson law whose P(over the opening line) is the de-vigged price: its mean, its median, and
its P(over) at both lines). Columns: MAE of the mean and of the median, Brier and log loss of
P(over) at the opening and at the closing line (pushes excluded).

``--weights-grid`` also searches ensemble weights over the systems on that grid: the mixture
of the members' count laws (as ensemble_v1 mixes them), scored on every month, and chosen
walk-forward (each month's weights are the best on the earlier months by open-line Brier), so
the weights' own fit is out of sample too.
"""

from __future__ import annotations

import argparse
import itertools
import math

import numpy as np
import numpy.typing as npt
import pandas as pd

from strikeouts.countlaw import (
    median,
    mixture_median,
    mixture_p_over,
    p_over,
)
from strikeouts.evaluation.metrics import brier, log_loss, mae, over_outcome

ENSEMBLE = "ensemble_v1"
NAIVE = "naive_season_avg"


def common_starts(rows: pd.DataFrame) -> pd.DataFrame:
    """The rows of starts with an opening line, a closing line and an outcome."""
    ok = rows["open_line"].notna() & rows["line"].notna() & rows["actual_strikeouts"].notna()
    return rows[ok]


def score(
    mean: npt.ArrayLike,
    med: npt.ArrayLike | None,
    p_open: npt.ArrayLike | None,
    p_close: npt.ArrayLike | None,
    starts: pd.DataFrame,
) -> dict[str, float]:
    """MAE of the mean and the median, Brier and log loss at the opening and closing line."""
    y = starts["actual_strikeouts"].to_numpy(dtype=float)
    at_open = over_outcome(y, starts["open_line"].to_numpy(dtype=float))
    at_close = over_outcome(y, starts["line"].to_numpy(dtype=float))
    nan = math.nan
    return {
        "n": float(len(starts)),
        "mae_mean": mae(mean, y),
        "mae_median": nan if med is None else mae(med, y),
        "brier_open": nan if p_open is None else brier(p_open, at_open),
        "log_loss_open": nan if p_open is None else log_loss(p_open, at_open),
        "brier_close": nan if p_close is None else brier(p_close, at_close),
        "log_loss_close": nan if p_close is None else log_loss(p_close, at_close),
    }


def table(rows: pd.DataFrame) -> pd.DataFrame:
    """One line per predictor on the common starts."""
    keys = ["game_id", "pitcher_id"]
    first = sorted(set(rows["system_id"]) - {NAIVE})[0]
    starts = common_starts(rows[rows["system_id"] == first]).set_index(keys)
    out = {}
    for system_id, group in rows[rows["system_id"] != NAIVE].groupby("system_id"):
        g = group.set_index(keys).loc[starts.index]
        out[str(system_id)] = score(
            g["predicted_strikeouts"], g["predicted_median"], g["p_over_open"], g["p_over"], starts
        )
    out["raw opening line"] = score(starts["open_line"], None, None, None, starts)
    out["raw closing line"] = score(starts["line"], None, None, None, starts)
    market = starts["market_mean"].to_numpy(dtype=float)
    out["de-vigged opening market"] = score(
        market,
        median(market, 0.0),
        p_over(market, starts["open_line"].to_numpy(dtype=float), 0.0),
        p_over(market, starts["line"].to_numpy(dtype=float), 0.0),
        starts,
    )
    return pd.DataFrame(out).T


def mixture_scores(
    rows: pd.DataFrame, systems: list[str], weights: tuple[float, ...]
) -> pd.DataFrame:
    """Per start: the weighted mixture's mean, median and P(over) at both lines."""
    keys = ["game_id", "pitcher_id"]
    wide = rows[rows["system_id"].isin(systems)].pivot_table(
        index=keys, columns="system_id", values=["predicted_strikeouts", "count_dispersion"]
    )
    starts = common_starts(rows[rows["system_id"] == systems[0]]).set_index(keys)
    wide = wide.loc[starts.index]
    means = wide["predicted_strikeouts"][systems].to_numpy(dtype=float)
    alphas = wide["count_dispersion"][systems].to_numpy(dtype=float)
    w = np.asarray(weights, dtype=float)
    out = []
    for i, (open_line, close_line) in enumerate(
        zip(starts["open_line"], starts["line"], strict=True)
    ):
        laws = [
            (float(w[j]), float(means[i, j]), float(alphas[i, j]))
            for j in range(len(w))
            if w[j] > 0
        ]
        out.append(
            (
                float(w @ means[i]),
                mixture_median(laws),
                mixture_p_over(laws, float(open_line)),
                mixture_p_over(laws, float(close_line)),
            )
        )
    frame = pd.DataFrame(out, columns=["mean", "median", "p_open", "p_close"], index=starts.index)
    return frame.join(starts[["game_date", "actual_strikeouts", "open_line", "line"]])


def grid(systems: list[str], step: float) -> list[tuple[float, ...]]:
    """Every weight vector on the simplex with the given step."""
    ticks = np.round(np.arange(0.0, 1.0 + 1e-9, step), 6)
    out = []
    for head in itertools.product(ticks, repeat=len(systems) - 1):
        last = round(1.0 - sum(head), 6)
        if last >= -1e-9:
            out.append((*head, max(last, 0.0)))
    return out


def weight_search(rows: pd.DataFrame, step: float) -> None:
    """Print the best fixed weights and the walk-forward-chosen weights' scores."""
    systems = sorted(s for s in rows["system_id"].unique() if s not in (ENSEMBLE, NAIVE))
    scored = {w: mixture_scores(rows, systems, w) for w in grid(systems, step)}

    def metrics(frame: pd.DataFrame) -> dict[str, float]:
        return score(frame["mean"], frame["median"], frame["p_open"], frame["p_close"], frame)

    fixed = sorted(((metrics(f), w) for w, f in scored.items()), key=lambda t: t[0]["brier_open"])
    print(f"systems {systems}; best fixed weights by open-line Brier (in sample):")
    for m, w in fixed[:8]:
        print(f"  {w}: " + ", ".join(f"{k} {v:.4f}" for k, v in m.items() if k != "n"))
    months = sorted(
        {pd.Timestamp(d).strftime("%Y-%m") for d in next(iter(scored.values()))["game_date"]}
    )
    chosen = []
    for month in months:

        def before(frame: pd.DataFrame, month: str = month) -> pd.DataFrame:
            return frame[pd.to_datetime(frame["game_date"]).dt.strftime("%Y-%m") < month]

        def during(frame: pd.DataFrame, month: str = month) -> pd.DataFrame:
            return frame[pd.to_datetime(frame["game_date"]).dt.strftime("%Y-%m") == month]

        first = next(iter(scored.values()))
        if before(first).empty:
            pick = max(
                scored, key=lambda w: w[systems.index("v2_market")] if "v2_market" in systems else 0
            )
        else:
            pick = min(scored, key=lambda w: metrics(before(scored[w]))["brier_open"])
        chosen.append(during(scored[pick]))
        print(f"  {month}: weights {pick}")
    walk = metrics(pd.concat(chosen))
    print("walk-forward-chosen weights: " + ", ".join(f"{k} {v:.4f}" for k, v in walk.items()))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("predictions")
    parser.add_argument("--weights-grid", type=float, default=None)
    args = parser.parse_args()
    rows = pd.read_csv(args.predictions)
    result = table(rows)
    columns = [
        "n",
        "mae_mean",
        "mae_median",
        "brier_open",
        "log_loss_open",
        "brier_close",
        "log_loss_close",
    ]
    print("| predictor | " + " | ".join(columns) + " |")
    print("|---" * (len(columns) + 1) + "|")
    for name, line in result[columns].iterrows():
        cells = [f"{int(line['n'])}"] + [
            "—" if pd.isna(v) else f"{v:.4f}" for v in line[columns[1:]]
        ]
        print(f"| {name} | " + " | ".join(cells) + " |")
    if args.weights_grid:
        weight_search(rows, args.weights_grid)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
