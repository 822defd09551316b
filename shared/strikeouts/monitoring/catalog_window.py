"""Checks over the window ending on the checked date: accuracy, calls, flags and calibration.

Invariant: a window check judges only with enough graded rows (``monitor.min_sample``) and is
skipped otherwise; hit rates exclude pushes and voids (they come from the views' grading);
accuracy, calibration and ROI leave in-sample rows out unless the context includes them, and
``in_sample_rows`` says how many there were.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from strikeouts.monitoring.checks import CheckContext, Finding, at_least, at_most, skipped
from strikeouts.monitoring.insample import describe, in_sample_rows, kept
from strikeouts.monitoring.views import rollup

Z95 = 1.959964


def _performance(context: CheckContext, start: dt.date) -> pd.DataFrame:
    """system_performance per system from ``start`` to the checked date (in-sample rows as the
    context says)."""
    return rollup(
        context.warehouse,
        "system_performance",
        start,
        context.date,
        include_in_sample=context.include_in_sample,
    )


def in_sample(context: CheckContext) -> Finding:
    """No row of the window was predicted by a model fitted on its date or later; the value is
    how many were (left out of the accuracy checks unless included, as the detail says)."""
    found = in_sample_rows(context.warehouse, context.window_start, context.date)
    rows = int(found["rows"].sum()) if not found.empty else 0
    return at_most(rows, 0, describe(found, included=context.include_in_sample))


def win_rate_per_system(context: CheckContext) -> Finding:
    """Every system's calls over the window hit at least ``monitor.hit_rate_min``."""
    frame = context.query(
        "SELECT system_id, recommendation, COUNTIF(bet_result = 'WIN') AS wins, "
        "COUNTIF(bet_result = 'LOSS') AS losses FROM graded_predictions "
        "WHERE game_date BETWEEN @start AND @date AND bet_result IN ('WIN', 'LOSS') "
        f"AND {kept(context.include_in_sample)} "
        "GROUP BY system_id, recommendation ORDER BY system_id, recommendation"
    )
    threshold = context.settings.monitor.hit_rate_min
    totals = frame.groupby("system_id")[["wins", "losses"]].sum()
    totals = totals[totals["wins"] + totals["losses"] >= context.settings.monitor.min_sample]
    if totals.empty:
        return skipped("fewer graded calls than monitor.min_sample for every system", threshold)
    rates = totals["wins"] / (totals["wins"] + totals["losses"])
    parts = []
    for system, rate in rates.items():
        sides = frame[frame["system_id"] == system]
        split = ", ".join(
            f"{r.recommendation} {r.wins}-{r.losses}" for r in sides.itertuples(index=False)
        )
        parts.append(f"{system} {rate:.1%} ({split})")
    return at_least(float(rates.min()), threshold, "; ".join(parts))


def ensemble_vs_best(context: CheckContext) -> Finding:
    """The ensemble's MAE over the window is no worse than its best component's plus 0.05 K."""
    perf = _performance(context, context.window_start)
    perf = perf[perf["graded"] >= context.settings.monitor.min_sample].set_index("system_id")
    ensemble = context.config.ensemble_system_id
    components = [s for s in context.config.expected_systems if s in perf.index]
    if ensemble not in perf.index or not components:
        return skipped("not enough graded ensemble and component rows in the window", 0.05)
    mae = {s: float(v) for s, v in perf["mae"].items()}
    best = min(components, key=lambda s: mae[s])
    gap = mae[ensemble] - mae[best]
    detail = f"ensemble MAE {mae[ensemble]:.3f} vs {best} {mae[best]:.3f}"
    return at_most(gap, 0.05, detail)


def ensemble_win_rate_vs_best(context: CheckContext) -> Finding:
    """The ensemble's hit rate over the window is not below its best component's by more than
    ``monitor.win_rate_gap_max`` beyond sampling noise (1.96 standard errors of the gap)."""
    threshold = context.settings.monitor.win_rate_gap_max
    perf = _performance(context, context.window_start)
    decided = perf["wins"] + perf["losses"]
    perf = perf[decided >= context.settings.monitor.min_sample].set_index("system_id")
    ensemble = context.config.ensemble_system_id
    components = [s for s in context.config.expected_systems if s in perf.index]
    if ensemble not in perf.index or not components:
        return skipped(
            "fewer decided ensemble and component calls than monitor.min_sample", threshold
        )
    rate = {s: float(perf["hit_rate"][s]) for s in (*components, ensemble)}
    n = {s: float(perf["wins"][s]) + float(perf["losses"][s]) for s in rate}
    best = max(components, key=lambda s: rate[s])
    noise = Z95 * sum(rate[s] * (1 - rate[s]) / n[s] for s in (best, ensemble)) ** 0.5
    excess = rate[best] - rate[ensemble] - noise
    detail = (
        f"ensemble hit rate {rate[ensemble]:.1%} (n {n[ensemble]:.0f}) vs {best} "
        f"{rate[best]:.1%} (n {n[best]:.0f}); value = gap beyond 95% noise"
    )
    return at_most(excess, threshold, detail)


def weekly_trend(context: CheckContext) -> Finding:
    """The ensemble's MAE over the last 7 days rose no more than allowed over the window's."""
    threshold = context.settings.monitor.trend_mae_rise_max
    ensemble = context.config.ensemble_system_id
    window = _performance(context, context.window_start)
    week = _performance(context, context.date - dt.timedelta(days=6))
    window, week = window[window["system_id"] == ensemble], week[week["system_id"] == ensemble]
    if week.empty or int(week["graded"].iloc[0]) < 30:
        return skipped("fewer than 30 graded ensemble rows in the last 7 days", threshold)
    rise = float(week["mae"].iloc[0]) - float(window["mae"].iloc[0])
    detail = f"last 7 days MAE {float(week['mae'].iloc[0]):.3f} vs window {float(window['mae'].iloc[0]):.3f}"
    return at_most(rise, threshold, detail)


def recommendation_mix(context: CheckContext) -> Finding:
    """No system calls one side almost always (a broken line or sign flips the mix)."""
    frame = context.query(
        "SELECT system_id, COUNTIF(IFNULL(recommendation = 'OVER', FALSE)) AS overs, "
        "COUNTIF(IFNULL(recommendation = 'UNDER', FALSE)) AS unders, "
        "COUNTIF(IFNULL(recommendation = 'PASS', FALSE)) AS passes, COUNT(*) AS n "
        "FROM pitcher_strikeout_predictions_latest "
        "WHERE game_date BETWEEN @start AND @date GROUP BY system_id ORDER BY system_id"
    )
    calls = frame.assign(calls=frame["overs"] + frame["unders"])
    calls = calls[calls["calls"] >= 30]
    if calls.empty:
        return skipped("fewer than 30 OVER/UNDER calls per system in the window", 0.85)
    one_sided = (calls[["overs", "unders"]].max(axis=1) / calls["calls"]).astype(float)
    detail = "; ".join(
        f"{r.system_id} OVER {r.overs} UNDER {r.unders} PASS {r.passes} of {r.n}"
        for r in calls.itertuples(index=False)
    )
    return at_most(float(one_sided.max()), 0.85, detail)


def top_red_flags(context: CheckContext) -> Finding:
    """No red flag is raised on more than ``monitor.flag_share_max`` of the predictions."""
    frame = context.query(
        "SELECT flag, COUNT(*) AS n, MAX(total) AS total FROM ("
        "SELECT p.red_flags, COUNT(*) OVER () AS total FROM pitcher_strikeout_predictions_latest AS p "
        "WHERE p.game_date BETWEEN @start AND @date) AS t CROSS JOIN UNNEST(t.red_flags) AS flag "
        "GROUP BY flag ORDER BY n DESC, flag"
    )
    threshold = context.settings.monitor.flag_share_max
    if frame.empty:
        return Finding(True, 0.0, threshold, "no red flag raised in the window")
    shares = frame["n"] / frame["total"]
    top = ", ".join(f"{f} {s:.1%}" for f, s in zip(frame["flag"][:3], shares[:3], strict=True))
    return at_most(float(shares.max()), threshold, f"most frequent: {top}")


def p_over_calibration_drift(context: CheckContext) -> Finding:
    """Each system's mean p_over over the window stays close to the observed over rate.

    The value is the gap beyond its 95% sampling noise (1.96 standard errors of the observed
    rate), so a small window does not fail on noise alone.
    """
    frame = context.query(
        "SELECT system_id, COUNT(*) AS n, AVG(p_over) AS mean_p, AVG(over_hit) AS rate "
        "FROM graded_predictions WHERE game_date BETWEEN @start AND @date "
        f"AND p_over IS NOT NULL AND over_hit IS NOT NULL AND {kept(context.include_in_sample)} "
        "GROUP BY system_id ORDER BY system_id"
    )
    threshold = context.settings.monitor.calibration_drift_max
    frame = frame[frame["n"] >= context.settings.monitor.min_sample]
    if frame.empty:
        return skipped("fewer graded p_over rows than monitor.min_sample", threshold)
    noise = Z95 * (frame["rate"] * (1 - frame["rate"]) / frame["n"]) ** 0.5
    excess = (frame["mean_p"] - frame["rate"]).abs() - noise
    detail = "; ".join(
        f"{r.system_id} mean p_over {r.mean_p:.3f} vs over rate {r.rate:.3f} (n {r.n})"
        for r in frame.itertuples(index=False)
    )
    return at_most(float(excess.max()), threshold, detail + "; value = gap beyond 95% noise")


def feature_coverage_drop(context: CheckContext) -> Finding:
    """Each system's mean feature coverage on the date is close to the window's before it."""
    frame = context.query(
        "SELECT system_id, AVG(IF(game_date = @date, feature_coverage, NULL)) AS today, "
        "AVG(IF(game_date < @date, feature_coverage, NULL)) AS before "
        "FROM pitcher_strikeout_predictions_latest WHERE game_date BETWEEN @start AND @date "
        "AND feature_coverage IS NOT NULL GROUP BY system_id ORDER BY system_id"
    )
    threshold = context.settings.monitor.feature_coverage_drop_max
    frame = frame.dropna(subset=["today", "before"])
    if frame.empty:
        return skipped("no feature coverage on the date and before it", threshold)
    drops = frame["before"] - frame["today"]
    detail = "; ".join(
        f"{r.system_id} {r.today:.3f} vs {r.before:.3f}" for r in frame.itertuples(index=False)
    )
    return at_most(float(drops.max()), threshold, detail)
