"""Checks of the rows themselves on the checked date: coverage, silence, keys, the ensemble.

Invariant: the expected systems come from the pipeline configuration, never from the rows
present, so a system that wrote nothing is seen as missing (the replaced system's alert read
"no rows" as "nothing to check").
"""

from __future__ import annotations

import json
import math

import pandas as pd

from strikeouts.monitoring.answers import REASON_SQL, unanswered
from strikeouts.monitoring.checks import (
    CheckContext,
    Finding,
    at_least,
    at_most,
    scalar,
    skipped,
)
from strikeouts.names import PREDICTIONS_LATEST


def _no_rows(context: CheckContext) -> Finding:
    """No prediction on the date: a failure when the warehouse knows games that day."""
    games = context.query("SELECT COUNT(*) AS n FROM games WHERE game_date = @date")
    if (scalar(games, "n") or 0) > 0:
        return Finding(
            False, None, None, f"no prediction rows on {context.date} though games exist"
        )
    return skipped(f"no prediction rows and no games on {context.date}")


GRADED = "graded_predictions"


def _answers(context: CheckContext) -> pd.DataFrame:
    """The date's latest rows, one per pitcher-game and system: answered or not, and why not."""
    return context.query(
        f"SELECT game_id, pitcher_id, system_id, answered, {REASON_SQL} AS reason "
        f"FROM {GRADED} WHERE game_date = @date ORDER BY created_at, game_id, pitcher_id"
    )


def _unanswered(rows: pd.DataFrame, system: str) -> str:
    """``system: N of M rows unanswered (first reason)``; empty when it answered all."""
    found = unanswered(rows[rows["system_id"] == system])
    return f"{system}: {found[system]}" if system in found else ""


def coverage_complete(context: CheckContext) -> Finding:
    """Every pitcher-game of the date has an answer from every expected system (an error row
    is a row, not an answer)."""
    rows = _answers(context)
    if rows.empty:
        return _no_rows(context)
    expected = context.expected_systems
    answered = rows[rows["answered"].astype(bool) & rows["system_id"].isin(expected)]
    games = rows.set_index(["game_id", "pitcher_id"]).index.unique()
    per_game = answered.groupby(["game_id", "pitcher_id"])["system_id"].nunique()
    per_game = per_game.reindex(games, fill_value=0)
    incomplete = int((per_game < len(expected)).sum())
    errors = "; ".join(filter(None, (_unanswered(rows, s) for s in expected)))
    detail = (
        f"{incomplete} of {len(games)} pitcher-games incomplete; systems answering per "
        f"pitcher-game min {int(per_game.min())} max {int(per_game.max())} of {len(expected)}"
    ) + (f"; {errors}" if errors else "")
    return at_most(incomplete, 0, detail)


def system_silent(context: CheckContext) -> Finding:
    """No expected system answered nothing on the date (only errors is silence too)."""
    rows = _answers(context)
    if rows.empty:
        return _no_rows(context)
    answered = set(rows.loc[rows["answered"].astype(bool), "system_id"])
    silent = [s for s in context.expected_systems if s not in answered]
    parts = [_unanswered(rows, s) or f"{s}: no row" for s in silent]
    detail = f"silent: {'; '.join(parts)}" if silent else "every expected system answered"
    return at_most(len(silent), 0, detail)


# the date's pitcher-games (system_comparison has a row per pitcher-game and system)
PITCHER_GAMES = (
    "SELECT DISTINCT game_id, pitcher_id, {columns} FROM system_comparison WHERE game_date = @date"
)


def error_share(context: CheckContext) -> Finding:
    """No system's share of unanswered rows on the date is above ``monitor.error_share_max``;
    the value is the worst system's share, the detail names it and its first error."""
    threshold = context.settings.monitor.error_share_max
    rows = _answers(context)
    if rows.empty:
        return skipped(f"no prediction rows on {context.date}", threshold)
    answered = rows["answered"].astype(bool)
    shares = {
        str(s): 1.0 - float(a.mean()) for s, a in answered.groupby(rows["system_id"], sort=True)
    }
    worst = max(shares, key=lambda s: shares[s])
    over = sorted((s for s in shares if shares[s] > threshold), key=lambda s: -shares[s])
    if not over:
        detail = f"worst {worst}: {shares[worst]:.1%} of its rows unanswered"
    else:
        detail = "; ".join(f"{shares[s]:.1%} " + _unanswered(rows, s) for s in over)
    return at_most(shares[worst], threshold, detail)


def _agreeing(context: CheckContext) -> tuple[float, float]:
    """(share agreeing strongly or moderately, pitcher-games compared) on the date: the seed's
    agreement (spread within 2 K); pitcher-games with fewer than two answers are not compared."""
    frame = context.query(
        "SELECT COUNTIF(agreement IN ('STRONG', 'MODERATE')) AS agreeing, "
        "COUNTIF(agreement IN ('STRONG', 'MODERATE', 'WEAK')) AS compared "
        f"FROM ({PITCHER_GAMES.format(columns='agreement')})"
    )
    compared = scalar(frame, "compared") or 0
    return ((scalar(frame, "agreeing") or 0) / compared if compared else 0.0), compared


def _agreement(context: CheckContext, threshold: float) -> Finding:
    rate, compared = _agreeing(context)
    if compared == 0:
        return skipped("no pitcher-game with two component predictions", threshold)
    detail = f"{rate:.1%} of {compared:.0f} pitcher-games agree within 2 K (strong + moderate)"
    return at_least(rate, threshold, detail)


def agreement_rate(context: CheckContext) -> Finding:
    """Share of the date's pitcher-games whose systems agree strongly or moderately (spread
    < 2 K) is at least ``monitor.agreement_min`` (90%: above the critical level, docs/MODELING.md)."""
    return _agreement(context, context.settings.monitor.agreement_min)


def agreement_collapse(context: CheckContext) -> Finding:
    """The same share is at least ``monitor.agreement_critical``: below it one system has
    come apart from the others (a broken feature, a swapped model), not a hard slate."""
    return _agreement(context, context.settings.monitor.agreement_critical)


ENSEMBLE_SQL = f"""
SELECT e.game_id, e.pitcher_id, e.predicted_strikeouts AS ensemble, e.weights_json,
  c.system_id, c.predicted_strikeouts AS component
FROM {PREDICTIONS_LATEST} AS e
LEFT JOIN {PREDICTIONS_LATEST} AS c
  ON c.game_id = e.game_id AND c.pitcher_id = e.pitcher_id AND c.system_id != e.system_id
WHERE e.game_date = @date AND e.system_id = @ensemble AND e.predicted_strikeouts IS NOT NULL
"""


def ensemble_weighted_average(context: CheckContext) -> Finding:
    """The ensemble equals the weighted average of its components, weights summing to 1."""
    rows = context.query(ENSEMBLE_SQL, ensemble=context.config.ensemble_system_id)
    if rows.empty:
        return skipped(f"no ensemble prediction on {context.date}")
    worst, problems, games = 0.0, [], 0
    for (game, pitcher), group in rows.groupby(["game_id", "pitcher_id"]):
        games += 1
        gap = _ensemble_gap(group)
        if math.isnan(gap):
            problems.append(f"{game}/{pitcher}")
        worst = max(worst, gap if not math.isnan(gap) else math.inf)
    detail = f"largest |ensemble − weighted components| {worst:.2g} K over {games} pitcher-games"
    if problems:
        detail += (
            f"; weights not summing to 1 or naming a system without a prediction: {problems[:3]}"
        )
    return at_most(worst, context.settings.monitor.ensemble_tolerance, detail)


def _ensemble_gap(group: pd.DataFrame) -> float:
    """|ensemble − Σ w·prediction| for one pitcher-game; NaN when its weights are unusable."""
    weights = json.loads(group["weights_json"].iloc[0] or "{}")
    components = dict(zip(group["system_id"], group["component"], strict=True))
    if not weights or abs(sum(weights.values()) - 1.0) > 1e-6:
        return math.nan
    if any(pd.isna(components.get(s)) for s in weights):
        return math.nan
    combined = sum(w * float(components[s]) for s, w in weights.items())
    return abs(float(group["ensemble"].iloc[0]) - combined)


def duplicate_keys(context: CheckContext) -> Finding:
    """No (run, game, pitcher, system) key twice in the final table over the window."""
    frame = context.query(
        "SELECT COUNT(*) AS keys, COALESCE(SUM(n - 1), 0) AS extra FROM ("
        "SELECT run_id, game_id, pitcher_id, system_id, COUNT(*) AS n "
        "FROM pitcher_strikeout_predictions WHERE game_date BETWEEN @start AND @date "
        "GROUP BY run_id, game_id, pitcher_id, system_id HAVING COUNT(*) > 1)"
    )
    keys = scalar(frame, "keys") or 0
    return at_most(
        keys,
        0,
        f"{keys:.0f} keys stored more than once ({scalar(frame, 'extra') or 0:.0f} extra rows)",
    )


def null_system_ids(context: CheckContext) -> Finding:
    """No row without a system id over the window."""
    frame = context.query(
        "SELECT COUNTIF(system_id IS NULL OR system_id = '') AS n "
        "FROM pitcher_strikeout_predictions WHERE game_date BETWEEN @start AND @date"
    )
    n = scalar(frame, "n") or 0
    return at_most(n, 0, f"{n:.0f} rows without a system id")


def orphan_pitcher_games(context: CheckContext) -> Finding:
    """Every pitcher-game with a system row has an ensemble row, and none has a single row;
    skipped in rollout phases without the ensemble (1-2), where every pitcher-game has none."""
    if not context.config.write_ensemble:
        return skipped("the ensemble is off in this rollout phase (write_ensemble false)", 0)
    frame = context.query(
        "SELECT COUNTIF(ensemble_state = 'missing' OR systems_present = 1) AS n, "
        f"COUNT(*) AS games FROM ({PITCHER_GAMES.format(columns='systems_present, ensemble_state')})"
    )
    games = scalar(frame, "games") or 0
    if games == 0:
        return _no_rows(context)
    n = scalar(frame, "n") or 0
    return at_most(n, 0, f"{n:.0f} of {games:.0f} pitcher-games without an ensemble row or alone")
