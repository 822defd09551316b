"""The red-flag and agreement tables of docs/MODELING.md from one walk-forward predictions CSV.

Usage: .venv/bin/python benchmarks/thresholds.py PREDICTIONS.csv [--warehouse W] [--edge 0.5]

PREDICTIONS.csv is `strikeouts backtest --predictions-out` (walk-forward: each row's model was
trained on starts before its period). The script rebuilds the starts' point-in-time features
from the warehouse the backtest read, raises each candidate flag with the pipeline's own rule
evaluation, and prints, per system and side, the hit rate against the closing line (pushes
excluded) with and without the flag and the decided bets behind each, for the side P(over)
favours on every lined start ("favoured": what a confidence factor scales) and for OVER/UNDER
calls only ("call"). Then the agreement of the three systems: levels, ties at the boundaries,
the ensemble's hit rate by level and the daily share the monitor's agreement checks read.
"""

from __future__ import annotations

import argparse
import datetime as dt

import pandas as pd

from strikeouts.adapters import open_warehouse
from strikeouts.backtest.flag_hits import (
    KEYS,
    Candidate,
    candidate,
    daily_agreement,
    hit_by,
    hit_table,
    raised,
    sides,
    spreads,
)
from strikeouts.features.history import History
from strikeouts.models.service import labelled_features
from strikeouts.pipeline.config import PipelineConfig
from strikeouts.settings import Settings

SYSTEMS = ("v1_baseline", "v1_6_rolling", "v2_market")
PAIR = ("v1_baseline", "v1_6_rolling")

CANDIDATES: tuple[Candidate, ...] = (
    candidate("high_k_variance", "k_std_last10 > 3.0 (now)", ("k_std_last10", "gt", 3.0)),
    candidate("high_k_variance", "k_std_last10 > 3.5", ("k_std_last10", "gt", 3.5)),
    candidate("high_k_variance", "k_std_last10 > 4.0 (seed)", ("k_std_last10", "gt", 4.0)),
    candidate("opener", "avg_outs_last3 < 12 (now)", ("avg_outs_last3", "lt", 12.0)),
    candidate("opener", "ip_avg_last5 < 4.0 (seed)", ("ip_avg_last5", "lt", 4.0)),
    candidate(
        "first_start_no_history",
        "first start, career < 5 (now)",
        ("season_starts_before", "eq", 0.0),
        ("career_starts_before", "lt", 5.0),
    ),
    candidate("first_start_no_history", "first start (seed)", ("season_starts_before", "eq", 0.0)),
    candidate("too_few_prior_starts", "career < 2 (seed)", ("career_starts_before", "lt", 2.0)),
    candidate("few_season_starts", "season starts < 3 (seed)", ("season_starts_before", "lt", 3.0)),
    candidate("short_rest", "days_rest < 4 (seed)", ("days_rest", "lt", 4.0)),
    candidate("heavy_recent_workload", "starts 30d > 6 (seed)", ("starts_last30d", "gt", 6.0)),
)


def start_features(warehouse_url: str | None, rows: pd.DataFrame) -> pd.DataFrame:
    """The point-in-time features the candidates read, for every start in ``rows``' range."""
    first = pd.Timestamp(rows["game_date"].min()).date()
    last = pd.Timestamp(rows["game_date"].max()).date()
    warehouse = open_warehouse(
        Settings() if warehouse_url is None else Settings(warehouse=warehouse_url)
    )
    history = History.load(warehouse, before=last + dt.timedelta(days=1))
    frame = labelled_features(history, first, last)
    names = sorted({c.feature for cand in CANDIDATES for c in cand.rule.conditions})
    return frame[[*KEYS, *names]]


def print_table(title: str, table: pd.DataFrame) -> None:
    print(f"\n## {title}\n")
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))


def agreement_report(rows: pd.DataFrame, measured: pd.DataFrame, config: PipelineConfig) -> None:
    per_start = spreads(rows, SYSTEMS, config)
    ties = {b: int((per_start["spread"] == b).sum()) for b in (1.0, 2.0)}
    print_table(
        "agreement of the three systems (starts not skipped)",
        per_start.groupby("level")
        .agg(starts=("spread", "size"), mean_spread=("spread", "mean"))
        .reset_index()
        .assign(share=lambda t: t["starts"] / t["starts"].sum()),
    )
    print(f"\nstarts whose spread is exactly 1.0 / 2.0 K (where <= and < differ): {ties}")
    ensemble = measured[measured["system_id"] == "ensemble_v1"].merge(
        per_start[[*KEYS, "level"]], on=KEYS
    )
    for bets in ("favoured", "call"):
        print_table(
            f"ensemble_v1 hit rate by agreement level ({bets})", hit_by(ensemble, "level", bets)
        )
    print(
        f"\nspread quantiles p50/p90/p99/max: {per_start['spread'].quantile([0.5, 0.9, 0.99, 1]).round(3).tolist()}"
    )
    for label, members in (("three systems", SYSTEMS), ("v1 pair", PAIR)):
        daily_summary(f"{label}", spreads(rows, members, config))
    # what the agreement checks see when one system goes wrong: its counts shifted by `shift`
    # K on every start, or on 1 start in `every` (by pitcher id: a failure of part of a slate)
    for system in SYSTEMS:
        for shift, every in ((1.0, 1), (2.0, 1), (3.0, 1), (3.0, 2), (3.0, 4)):
            hit = (rows["system_id"] == system) & (rows["pitcher_id"] % every == 0)
            shifted = rows.assign(predicted_strikeouts=rows["predicted_strikeouts"] + shift * hit)
            share = "" if every == 1 else f" on 1 start in {every}"
            daily_summary(f"{system} +{shift:g} K{share}", spreads(shifted, SYSTEMS, config))


def daily_summary(label: str, per_start: pd.DataFrame) -> None:
    """One line: the distribution of the daily strong + moderate share over dates."""
    daily = daily_agreement(per_start, ("strong", "moderate"))
    shares = daily["share"]
    summary = {
        "days": len(daily),
        "median compared": float(daily["compared"].median()),
        "min": float(shares.min()),
        "p05": float(shares.quantile(0.05)),
        "median": float(shares.median()),
        "max": float(shares.max()),
    } | {f"days < {level:.0%}": int((shares < level).sum()) for level in (0.5, 0.6, 0.7, 0.8, 0.9)}
    print(
        f"daily strong + moderate share, {label}: "
        + ", ".join(
            f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}" for k, v in summary.items()
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("predictions", help="walk-forward CSV of strikeouts backtest")
    parser.add_argument("--warehouse", default=None, help="the warehouse the backtest read")
    parser.add_argument("--edge", type=float, default=PipelineConfig().edge_threshold)
    args = parser.parse_args()
    rows = pd.read_csv(args.predictions)
    flags = raised(start_features(args.warehouse, rows), CANDIDATES)
    labels = [c.label for c in CANDIDATES]
    measured = sides(rows, args.edge).merge(flags, on=KEYS, how="left", validate="many_to_one")
    print(f"{len(rows)} rows, {measured[measured['won'].notna()].shape[0]} decided system rows")
    for bets in ("favoured", "call"):
        print_table(
            f"hit rate with and without each candidate ({bets})", hit_table(measured, labels, bets)
        )
    agreement_report(rows, measured, PipelineConfig())


if __name__ == "__main__":
    main()
