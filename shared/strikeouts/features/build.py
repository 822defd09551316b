"""The feature builder: one superset vector per pitcher-game, from strictly earlier games only.

Invariant: every history-derived value reaches a target through
:func:`strikeouts.features.rolling.as_of` (state as of the end of the day before the game),
read from the state tables of a :class:`~strikeouts.features.prepared.PreparedHistory`, which
depend on the history alone. The one value read directly, a season's opening day, enters as
``min(opening day, game date)``, so an opener on or after D reads as D exactly as a history
cut at D (which lacks it) reads. So a whole-season backtest (one call, full history), a
per-date call (history loaded with ``before=D``) and a per-date call against one prepared FULL
history run the same code and give identical vectors. Missing inputs stay NaN; each row
records the share of real inputs per feature set.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from strikeouts.countlaw import mean_for_p_over
from strikeouts.evaluation.odds import devig_two_way
from strikeouts.features.catalog import (
    FEATURE_SETS,
    PARK_PRIOR_BF,
    PITCHER_PRIOR_BF,
    SUPERSET,
    TEAM_PRIOR_BF,
    UMPIRE_PRIOR_BF,
    WORKLOAD_WINDOW_DAYS,
    coverage_column,
)
from strikeouts.features.history import History
from strikeouts.features.prepared import PreparedHistory, home_team, prepare_history
from strikeouts.features.rolling import STATE_DATE, StateTable, as_of
from strikeouts.features.targets import KEY_COLUMNS, normal_targets

Frame = pd.DataFrame
Array = np.ndarray
Features = dict[str, Array]

# positions in SUPERSET: each feature set's columns, and the features that are not keys
_SET_COLUMNS = {name: [SUPERSET.index(n) for n in fs.names] for name, fs in FEATURE_SETS.items()}
_KEY_FEATURES = [n for n in KEY_COLUMNS if n in SUPERSET]
_OTHER_FEATURES = [i for i, n in enumerate(SUPERSET) if n not in KEY_COLUMNS]


def build_features(
    history: History, targets: pd.DataFrame, prepared: PreparedHistory | None = None
) -> pd.DataFrame:
    """Keys, every superset feature and ``coverage_<set>`` for each target, in target order.

    ``prepared`` (from :func:`prepare_history` on this very ``history``) skips recomputing
    the state tables; the result is the same either way.
    """
    if prepared is None:
        prepared = prepare_history(history)
    elif prepared.history is not history:
        raise ValueError("build_features: prepared was built from another History")
    return build_prepared(prepared, targets)


def build_prepared(prepared: PreparedHistory, targets: pd.DataFrame) -> pd.DataFrame:
    """:func:`build_features` from a history's prepared state tables (only the joins run)."""
    t = normal_targets(targets, prepared.history.before)
    f: Features = {}
    # NaN and inf arise where a count is 0 and are masked right after, as pandas would
    with np.errstate(divide="ignore", invalid="ignore"):
        league = _arrays(as_of(t, prepared.league))
        lg = league["k"] / league["bf"]
        f["league_k_rate"] = lg
        _pitcher_features(f, t, prepared.pitcher, lg)
        _season_features(f, t, prepared.season, lg)
        _context_features(f, t, prepared, lg)
        _line_features(f, t, prepared.line_results)
    return _assemble(t, f)


def _assemble(t: Frame, f: Features) -> Frame:
    """Keys, the superset in catalog order and each set's coverage, built in one frame.

    One concat instead of a column insert per feature: for a date's ~30 targets the inserts
    cost more than every join. A key that is also a feature (``is_home``) keeps its key
    position and takes the feature's float values; coverage is the share of non-NaN inputs.
    """
    values = np.column_stack([f[name].astype("float64") for name in SUPERSET])
    keys = t[list(KEY_COLUMNS)].reset_index(drop=True)
    for name in _KEY_FEATURES:
        keys[name] = values[:, SUPERSET.index(name)]
    present = ~np.isnan(values)
    coverage = {
        coverage_column(name): present[:, columns].mean(axis=1)
        for name, columns in _SET_COLUMNS.items()
    }
    features = pd.DataFrame(
        values[:, _OTHER_FEATURES], columns=[SUPERSET[i] for i in _OTHER_FEATURES]
    )
    return pd.concat([keys, features, pd.DataFrame(coverage)], axis=1)


def _arrays(joined: Frame) -> dict[str, Array]:
    """A joined state's columns as arrays.

    The formulas below run on arrays: for a date's ~30 targets pandas' per-operation overhead
    cost more than the joins, and every operation is the very numpy one a Series would call.
    """
    return {name: joined[name].to_numpy() for name in joined.columns}


def shrunk_rate(k: Array, bf: Array, prior_bf: float, league: Array) -> Array:
    """(K + m * league) / (BF + m); NaN without any batter faced (no default rate)."""
    rate = (k + prior_bf * league) / (bf + prior_bf)
    return _where(rate, bf > 0)


def log5(pitcher: Array, batters: Array, league: Array) -> Array:
    """The odds-ratio combination of a pitcher's and a lineup's K rates around the league's."""
    odds = _odds(pitcher) * _odds(batters) / _odds(league)
    return odds / (1 + odds)


def _odds(p: Array) -> Array:
    return p / (1 - p)


def _mean(total: Array, count: Array) -> Array:
    return _where(total / count, count > 0)


def _where(values: Array, keep: Array) -> Array:
    """``values`` where ``keep``, else NaN (``Series.where``)."""
    return np.where(keep, values, np.nan)


def _zero(values: Array) -> Array:
    """NaN as 0 (``Series.fillna(0.0)``)."""
    return np.where(np.isnan(values), 0.0, values)


def _days(later: Array, earlier: Array) -> Array:
    """Whole days between two date arrays, NaN where either is missing (``.dt.days``)."""
    return pd.Series(later - earlier).dt.days.to_numpy(dtype="float64")


def _pitcher_features(f: Features, t: Frame, state: StateTable, lg: Array) -> None:
    s = _arrays(as_of(t, state, ["pitcher_id"]))
    w = _arrays(
        as_of(
            t.assign(_from=t["game_date"] - pd.Timedelta(days=WORKLOAD_WINDOW_DAYS)),
            state,
            ["pitcher_id"],
            on="_from",
        )
    )
    career = _zero(s["career"])
    f["career_starts_before"] = career
    for n in (3, 5, 10):
        f[f"k_avg_last{n}"] = _mean(s[f"k{n}"], s[f"n{n}"])
        f[f"bf_avg_last{n}"] = _mean(s[f"bf{n}"], s[f"n{n}"])
        f[f"k_rate_last{n}"] = shrunk_rate(s[f"k{n}"], s[f"bf{n}"], PITCHER_PRIOR_BF, lg)
    n10 = s["n10"]
    var = (s["k2_10"] - s["k10"] ** 2 / n10) / (n10 - 1)
    # clip(lower=0): below 0 becomes 0, NaN stays NaN
    f["k_std_last10"] = _where(np.where(var < 0, 0.0, var) ** 0.5, n10 >= 2)
    f["ip_avg_last5"] = _mean(s["outs5"], s["n5"]) / 3
    f["avg_outs_last3"] = _mean(s["outs3"], s["n3"])
    f["k_last"] = s["k1"]
    f["bf_trend"] = f["bf_avg_last3"] - f["bf_avg_last10"]
    f["pitches_last"] = _where(s["p1"], s["pc1"] == 1)
    f["pitches_avg_last3"] = _mean(s["p3"], s["pc3"])
    f["pitches_avg_last10"] = _mean(s["p10"], s["pc10"])
    f["pitches_trend"] = f["pitches_avg_last3"] - f["pitches_avg_last10"]
    f["pitches_per_bf_last5"] = _mean(s["p5"], s["pbf5"])
    f["tto_avg_last5"] = _mean(s["tto5"], s["ttoc5"])
    f["days_rest"] = _days(t["game_date"].to_numpy(), s[STATE_DATE])
    in_window = career - _zero(w["career"])
    known_in_window = _zero(s["cum_pc"]) - _zero(w["cum_pc"])
    f["starts_last30d"] = in_window
    f["bf_last30d"] = _zero(s["cum_bf"]) - _zero(w["cum_bf"])
    f["pitches_last30d"] = _where(
        _zero(s["cum_p"]) - _zero(w["cum_p"]), known_in_window == in_window
    )
    two = s["n2"] == 2
    f["pitches_last2"] = _where(s["p2"], two & (s["pc2"] == 2))
    f["bf_last2"] = _where(s["bf2"], two)


def _season_features(f: Features, t: Frame, state: StateTable, lg: Array) -> None:
    s = _arrays(as_of(t, state, ["pitcher_id", "season"]))
    n = _zero(s["n"])
    outs = _where(s["outs"], s["outs"] > 0)
    f["season_starts_before"] = n
    f["is_first_start_of_season"] = (n == 0).astype("float64")
    f["season_k_total"] = _zero(s["strikeouts"])
    f["season_ip"] = _zero(s["outs"]) / 3
    f["season_k9"] = 27 * s["strikeouts"] / outs
    f["season_ra9"] = _where(27 * s["runs"] / outs, s["runs_known"] == s["n"])
    f["season_whip"] = 3 * (s["walks"] + s["hits"]) / outs
    f["k_rate_season"] = shrunk_rate(s["strikeouts"], s["batters_faced"], PITCHER_PRIOR_BF, lg)


def _context_features(f: Features, t: Frame, prepared: PreparedHistory, lg: Array) -> None:
    o15 = _arrays(as_of(t, prepared.opponent_recent, ["opponent"]))
    oss = _arrays(as_of(t, prepared.opponent_season, ["opponent", "season"]))
    f["opp_k_rate_last15"] = shrunk_rate(o15["k"], o15["bf"], TEAM_PRIOR_BF, lg)
    f["opp_k_rate_season"] = shrunk_rate(oss["k"], oss["bf"], TEAM_PRIOR_BF, lg)
    f["expected_k_matchup"] = f["bf_avg_last5"] * log5(
        f["k_rate_last10"], f["opp_k_rate_last15"], lg
    )

    vs = _arrays(as_of(t, prepared.vs_opponent, ["pitcher_id", "opponent"]))
    f["vs_opp_starts"] = _zero(vs["n"])
    f["vs_opp_k_avg"] = _mean(vs["k"], vs["n"])
    f["vs_opp_k_rate"] = shrunk_rate(vs["k"], vs["bf"], PITCHER_PRIOR_BF, lg)

    park = _arrays(as_of(t.assign(park=home_team(t)), prepared.park, ["park"]))
    f["park_k_factor"] = shrunk_rate(park["k"], park["bf"], PARK_PRIOR_BF, lg) / lg

    ump = _arrays(as_of(t, prepared.umpire, ["umpire_home"]))
    f["umpire_k_factor"] = shrunk_rate(ump["k"], ump["bf"], UMPIRE_PRIOR_BF, lg) / lg

    day = t["game_date"]
    f["is_home"] = t["is_home"].to_numpy(dtype="float64")
    f["month"] = day.dt.month.to_numpy(dtype="float64")
    f["is_postseason"] = (t["game_type"] != "regular").to_numpy(dtype="float64")
    first_games = prepared.history.openers.set_index("season")["first_game"]
    # reindex, not map: a history cut before any game has no openers (map fails on empty)
    opening = pd.Series(first_games.reindex(t["season"].to_numpy()).to_numpy(), index=t.index)
    first = pd.concat([opening, day], axis=1).min(axis=1)
    f["days_into_season"] = _days(day.to_numpy(), first.to_numpy())


def _line_features(f: Features, t: Frame, line_results: StateTable) -> None:
    line = t["open_line"].to_numpy()
    f["line"] = line
    f["k_avg_last5_minus_line"] = f["k_avg_last5"] - line
    f["expected_k_minus_line"] = f["expected_k_matchup"] - line
    over, under = t["open_over"].to_numpy(), t["open_under"].to_numpy()
    f["implied_over_prob"] = np.asarray(devig_two_way(over, under)[0], dtype="float64")
    pairs = zip(line.tolist(), f["implied_over_prob"].tolist(), strict=True)
    f["market_mean"] = np.fromiter(
        (mean_for_p_over(x, p, 0.0) for x, p in pairs), float, count=len(line)
    )
    s = _arrays(as_of(t, line_results, ["pitcher_id"]))
    f["over_rate_last10_lines"] = _mean(s["over"], s["n"])
