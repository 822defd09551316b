"""The report's charts (Plotly), each built from monitoring-view rows only.

Invariant: every figure reads rows already graded by ``graded_predictions`` (pushes and voids
excluded from hit rates, a missing system absent rather than 0) and shows its counts, so no
chart states a rate without the sample behind it.
"""

from __future__ import annotations

import itertools
import math

import pandas as pd
import plotly.graph_objects as go

ROLLING_DAYS = 7
MIN_PERIODS = 3  # a trailing MAE over fewer dates is too noisy to draw
EDGE_BINS = (0.5, 1.0, 1.5, 2.0, math.inf)
Z95 = 1.959964


def rolling_mae(daily: pd.DataFrame) -> go.Figure:
    """MAE per system over the trailing 7 game dates, with the closing line on the same rows."""
    fig = go.Figure()
    for system, rows in daily.sort_values("game_date").groupby("system_id"):
        sums = (
            rows.set_index("game_date")[["sum_abs_error", "graded"]]
            .rolling(ROLLING_DAYS, min_periods=MIN_PERIODS)
            .sum()
        )
        fig.add_scatter(x=sums.index, y=sums["sum_abs_error"] / sums["graded"], name=str(system))
    close = daily.groupby("game_date")[["close_sum_abs_error", "close_n"]].max().sort_index()
    sums = close.rolling(ROLLING_DAYS, min_periods=MIN_PERIODS).sum()
    fig.add_scatter(
        x=sums.index,
        y=sums["close_sum_abs_error"] / sums["close_n"],
        name="closing line",
        line={"dash": "dash", "color": "black"},
    )
    return _layout(fig, f"MAE over the trailing {ROLLING_DAYS} dates (from the 3rd)", "strikeouts")


def wilson(wins: float, n: float) -> tuple[float, float]:
    """95% Wilson interval of a proportion (NaN without trials)."""
    if n <= 0:
        return math.nan, math.nan
    p = wins / n
    centre = (p + Z95**2 / (2 * n)) / (1 + Z95**2 / n)
    half = Z95 * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n**2)) / (1 + Z95**2 / n)
    return centre - half, centre + half


def edge_buckets(bets: pd.DataFrame) -> pd.DataFrame:
    """Hit rate (Wilson 95%) and ROI (normal 95%) per system and |edge| bucket of graded bets."""
    labels = [
        f"{a:g}-{b:g}" if b != math.inf else f"{a:g}+" for a, b in itertools.pairwise(EDGE_BINS)
    ]
    frame = bets.assign(
        bucket=pd.cut(bets["edge"].abs(), bins=list(EDGE_BINS), labels=labels, right=False)
    ).dropna(subset=["bucket"])
    out = []
    for (system, bucket), rows in frame.groupby(["system_id", "bucket"], observed=True):
        decided = rows[rows["bet_result"].isin(["WIN", "LOSS"])]
        wins = int((decided["bet_result"] == "WIN").sum())
        low, high = wilson(wins, len(decided))
        profit = rows["bet_profit"].astype(float)
        half = Z95 * float(profit.std(ddof=1)) / math.sqrt(len(rows)) if len(rows) > 1 else math.nan
        out.append(
            {
                "system_id": system,
                "bucket": str(bucket),
                "bets": len(rows),
                "pushes": int((rows["bet_result"] == "PUSH").sum()),
                "hit_rate": wins / len(decided) if len(decided) else math.nan,
                "hit_low": low,
                "hit_high": high,
                "roi": float(profit.mean()),
                "roi_half": half,
            }
        )
    return pd.DataFrame(out)


def edge_figure(buckets: pd.DataFrame, metric: str) -> go.Figure:
    """Bars of ``hit_rate`` or ``roi`` per edge bucket and system, 95% intervals, bet counts."""
    fig = go.Figure()
    for system, rows in buckets.groupby("system_id"):
        if metric == "hit_rate":
            error = {
                "type": "data",
                "symmetric": False,
                "array": rows["hit_high"] - rows["hit_rate"],
                "arrayminus": rows["hit_rate"] - rows["hit_low"],
            }
        else:
            error = {"type": "data", "array": rows["roi_half"]}
        fig.add_bar(
            x=rows["bucket"],
            y=rows[metric],
            name=str(system),
            error_y=error,
            text=[f"n={n}" for n in rows["bets"]],
            textposition="outside",
        )
    title = (
        "Hit rate by |edge| (pushes excluded, Wilson 95%)"
        if metric == "hit_rate"
        else "ROI by |edge| at the recorded prices (95%)"
    )
    fig.update_layout(barmode="group")
    return _layout(fig, title, "hit rate" if metric == "hit_rate" else "ROI per unit")


def reliability(rows: pd.DataFrame) -> go.Figure:
    """Mean p_over against the observed over rate per tenth of p_over (pushes excluded)."""
    fig = go.Figure()
    fig.add_scatter(x=[0, 1], y=[0, 1], name="perfect", line={"dash": "dot", "color": "grey"})
    bins = [i / 10 for i in range(11)]
    framed = rows.assign(bin=pd.cut(rows["p_over"], bins=bins, include_lowest=True))
    for system, group in framed.groupby("system_id"):
        stats = group.groupby("bin", observed=True).agg(
            p=("p_over", "mean"), rate=("over_hit", "mean"), n=("over_hit", "size")
        )
        fig.add_scatter(
            x=stats["p"],
            y=stats["rate"],
            name=str(system),
            mode="lines+markers",
            text=[f"n={n}" for n in stats["n"]],
        )
    fig.update_xaxes(range=[0, 1], title="mean p_over")
    return _layout(fig, "Reliability of p_over", "observed over rate")


def coverage_figure(coverage: pd.DataFrame) -> go.Figure:
    """Complete and incomplete pitcher-games per day, with fallbacks, dead letters, rejections."""
    fig = go.Figure()
    fig.add_bar(x=coverage["game_date"], y=coverage["complete_pitcher_games"], name="complete")
    fig.add_bar(x=coverage["game_date"], y=coverage["incomplete_pitcher_games"], name="incomplete")
    for column in ("fallbacks", "late_rows", "dead_letters", "rejected_messages"):
        fig.add_scatter(
            x=coverage["game_date"], y=coverage[column], name=column, mode="lines+markers"
        )
    fig.update_layout(barmode="stack")
    return _layout(fig, "Coverage and fallbacks per day", "pitcher-games")


def agreement_figure(agreement: pd.DataFrame) -> go.Figure:
    """MAE of each system by agreement level of the pitcher-game, with counts."""
    fig = _mae_by(agreement, "agreement", go.Bar, textposition="outside")
    fig.update_layout(barmode="group")
    return _layout(fig, "MAE when the systems agree and when they do not", "MAE")


def calibration_figure(buckets: pd.DataFrame) -> go.Figure:
    """MAE per 10-point confidence bucket and system, with counts."""
    fig = _mae_by(buckets, "confidence_bucket", go.Scatter, mode="lines+markers")
    fig.update_xaxes(title="confidence bucket")
    return _layout(fig, "Does confidence mean anything? MAE per confidence bucket", "MAE")


def _mae_by(
    rows: pd.DataFrame, x: str, trace: type[go.Bar | go.Scatter], **style: str
) -> go.Figure:
    """One ``trace`` per system of its MAE against ``x``, each point labelled with its count."""
    fig = go.Figure()
    for system, group in rows.groupby("system_id"):
        counts = [f"n={int(n)}" for n in group["graded"]]
        fig.add_trace(trace(x=group[x], y=group["mae"], name=str(system), text=counts, **style))
    return fig


def _layout(fig: go.Figure, title: str, y_title: str) -> go.Figure:
    fig.update_layout(title=title, yaxis_title=y_title, template="plotly_white", height=420)
    return fig
