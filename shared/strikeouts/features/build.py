"""The feature builder: one superset vector per pitcher-game, from strictly earlier games only.

Invariant: every history-derived value reaches a target through
:func:`strikeouts.features.rolling.as_of` (state as of the end of the day before the game), so
a whole-season backtest (one call, full history) and a per-date call (history loaded with
``before=D``) run the same code and give identical vectors. Missing inputs stay NaN; each row
records the share of real inputs per feature set.
"""

from __future__ import annotations

import pandas as pd

from strikeouts.evaluation.odds import devig_two_way
from strikeouts.features.catalog import (
    FEATURE_SETS,
    LEAGUE_WINDOW_STARTS,
    LINE_WINDOW_STARTS,
    OPPONENT_WINDOW_GAMES,
    PARK_PRIOR_BF,
    PARK_WINDOW_STARTS,
    PITCHER_PRIOR_BF,
    SUPERSET,
    TEAM_PRIOR_BF,
    UMPIRE_PRIOR_BF,
    UMPIRE_WINDOW_STARTS,
    WORKLOAD_WINDOW_DAYS,
    coverage_column,
)
from strikeouts.features.history import History
from strikeouts.features.rolling import STATE_DATE, as_of, known, states
from strikeouts.features.targets import KEY_COLUMNS, normal_targets

Frame = pd.DataFrame


def build_features(history: History, targets: pd.DataFrame) -> pd.DataFrame:
    """Keys, every superset feature and ``coverage_<set>`` for each target, in target order."""
    t = normal_targets(targets, history.before)
    f: dict[str, pd.Series] = {}
    league = as_of(t, _league_state(history.starts))
    lg = league["k"] / league["bf"]
    f["league_k_rate"] = lg
    _pitcher_features(f, t, history.starts, lg)
    _season_features(f, t, history.starts, lg)
    _context_features(f, t, history, lg)
    _line_features(f, t, history)
    out = t[list(KEY_COLUMNS)].copy()
    for name in SUPERSET:
        out[name] = f[name].astype("float64").to_numpy()
    for fs in FEATURE_SETS.values():
        out[coverage_column(fs.name)] = out[list(fs.names)].notna().mean(axis=1)
    return out.reset_index(drop=True)


def shrunk_rate(k: pd.Series, bf: pd.Series, prior_bf: float, league: pd.Series) -> pd.Series:
    """(K + m * league) / (BF + m); NaN without any batter faced (no default rate)."""
    rate = (k + prior_bf * league) / (bf + prior_bf)
    return rate.where(bf > 0)


def log5(pitcher: pd.Series, batters: pd.Series, league: pd.Series) -> pd.Series:
    """The odds-ratio combination of a pitcher's and a lineup's K rates around the league's."""
    odds = _odds(pitcher) * _odds(batters) / _odds(league)
    return odds / (1 + odds)


def _odds(p: pd.Series) -> pd.Series:
    return p / (1 - p)


def _mean(total: pd.Series, count: pd.Series) -> pd.Series:
    return (total / count).where(count > 0)


def _league_state(starts: Frame) -> Frame:
    rows = starts.assign(_all=0)
    sums = {
        "k": ("strikeouts", LEAGUE_WINDOW_STARTS),
        "bf": ("batters_faced", LEAGUE_WINDOW_STARTS),
    }
    state = states(rows, ["_all"], sums).drop(columns="_all")
    return state.drop_duplicates(STATE_DATE, keep="last")


def _pitcher_state(starts: Frame) -> Frame:
    rows = starts.assign(
        k2=starts["strikeouts"] ** 2,
        p_known=known(starts["pitches"]),
        p_bf=starts["batters_faced"].where(starts["pitches"].notna()),
        tto_known=known(starts["tto_max"]),
    )
    sums: dict[str, tuple[str, int | None]] = {"career": ("_one", None)}
    for n in (1, 2, 3, 5, 10):
        sums |= {
            f"n{n}": ("_one", n),
            f"k{n}": ("strikeouts", n),
            f"outs{n}": ("outs", n),
            f"bf{n}": ("batters_faced", n),
            f"p{n}": ("pitches", n),
            f"pc{n}": ("p_known", n),
        }
    sums |= {
        "k2_10": ("k2", 10),
        "pbf5": ("p_bf", 5),
        "tto5": ("tto_max", 5),
        "ttoc5": ("tto_known", 5),
        "cum_bf": ("batters_faced", None),
        "cum_p": ("pitches", None),
        "cum_pc": ("p_known", None),
    }
    return states(rows, ["pitcher_id"], sums)


def _pitcher_features(f: dict[str, pd.Series], t: Frame, starts: Frame, lg: pd.Series) -> None:
    state = _pitcher_state(starts)
    s = as_of(t, state, ["pitcher_id"])
    w = as_of(
        t.assign(_from=t["game_date"] - pd.Timedelta(days=WORKLOAD_WINDOW_DAYS)),
        state,
        ["pitcher_id"],
        on="_from",
    )
    career = s["career"].fillna(0.0)
    f["career_starts_before"] = career
    for n in (3, 5, 10):
        f[f"k_avg_last{n}"] = _mean(s[f"k{n}"], s[f"n{n}"])
        f[f"bf_avg_last{n}"] = _mean(s[f"bf{n}"], s[f"n{n}"])
        f[f"k_rate_last{n}"] = shrunk_rate(s[f"k{n}"], s[f"bf{n}"], PITCHER_PRIOR_BF, lg)
    n10 = s["n10"]
    var = (s["k2_10"] - s["k10"] ** 2 / n10) / (n10 - 1)
    f["k_std_last10"] = var.clip(lower=0).pow(0.5).where(n10 >= 2)
    f["ip_avg_last5"] = _mean(s["outs5"], s["n5"]) / 3
    f["avg_outs_last3"] = _mean(s["outs3"], s["n3"])
    f["k_last"] = s["k1"]
    f["bf_trend"] = f["bf_avg_last3"] - f["bf_avg_last10"]
    f["pitches_last"] = s["p1"].where(s["pc1"] == 1)
    f["pitches_avg_last3"] = _mean(s["p3"], s["pc3"])
    f["pitches_avg_last10"] = _mean(s["p10"], s["pc10"])
    f["pitches_trend"] = f["pitches_avg_last3"] - f["pitches_avg_last10"]
    f["pitches_per_bf_last5"] = _mean(s["p5"], s["pbf5"])
    f["tto_avg_last5"] = _mean(s["tto5"], s["ttoc5"])
    f["days_rest"] = (t["game_date"] - s[STATE_DATE]).dt.days.astype("float64")
    in_window = career - w["career"].fillna(0.0)
    known_in_window = s["cum_pc"].fillna(0.0) - w["cum_pc"].fillna(0.0)
    f["starts_last30d"] = in_window
    f["bf_last30d"] = s["cum_bf"].fillna(0.0) - w["cum_bf"].fillna(0.0)
    f["pitches_last30d"] = (s["cum_p"].fillna(0.0) - w["cum_p"].fillna(0.0)).where(
        known_in_window == in_window
    )
    two = s["n2"] == 2
    f["pitches_last2"] = s["p2"].where(two & (s["pc2"] == 2))
    f["bf_last2"] = s["bf2"].where(two)


def _season_features(f: dict[str, pd.Series], t: Frame, starts: Frame, lg: pd.Series) -> None:
    sums: dict[str, tuple[str, int | None]] = {
        c: (c, None) for c in ("strikeouts", "outs", "batters_faced", "runs", "walks", "hits")
    }
    sums |= {"n": ("_one", None), "runs_known": ("runs_known", None)}
    rows = starts.assign(runs_known=known(starts["runs"]))
    s = as_of(t, states(rows, ["pitcher_id", "season"], sums), ["pitcher_id", "season"])
    n = s["n"].fillna(0.0)
    outs = s["outs"].where(s["outs"] > 0)
    f["season_starts_before"] = n
    f["is_first_start_of_season"] = (n == 0).astype("float64")
    f["season_k_total"] = s["strikeouts"].fillna(0.0)
    f["season_ip"] = s["outs"].fillna(0.0) / 3
    f["season_k9"] = 27 * s["strikeouts"] / outs
    f["season_ra9"] = (27 * s["runs"] / outs).where(s["runs_known"] == s["n"])
    f["season_whip"] = 3 * (s["walks"] + s["hits"]) / outs
    f["k_rate_season"] = shrunk_rate(s["strikeouts"], s["batters_faced"], PITCHER_PRIOR_BF, lg)


def _context_features(f: dict[str, pd.Series], t: Frame, history: History, lg: pd.Series) -> None:
    starts = history.starts
    bf_k = {"k": ("strikeouts", None), "bf": ("batters_faced", None)}
    # starts keyed by "opponent" are that team's batting against starters: every season has
    # starts, while team_games are absent for 2026
    recent = {
        "k": ("strikeouts", OPPONENT_WINDOW_GAMES),
        "bf": ("batters_faced", OPPONENT_WINDOW_GAMES),
    }
    o15 = as_of(t, states(starts, ["opponent"], recent), ["opponent"])
    oss = as_of(t, states(starts, ["opponent", "season"], bf_k), ["opponent", "season"])
    f["opp_k_rate_last15"] = shrunk_rate(o15["k"], o15["bf"], TEAM_PRIOR_BF, lg)
    f["opp_k_rate_season"] = shrunk_rate(oss["k"], oss["bf"], TEAM_PRIOR_BF, lg)
    f["expected_k_matchup"] = f["bf_avg_last5"] * log5(
        f["k_rate_last10"], f["opp_k_rate_last15"], lg
    )

    vs = as_of(
        t,
        states(starts, ["pitcher_id", "opponent"], {**bf_k, "n": ("_one", None)}),
        ["pitcher_id", "opponent"],
    )
    f["vs_opp_starts"] = vs["n"].fillna(0.0)
    f["vs_opp_k_avg"] = _mean(vs["k"], vs["n"])
    f["vs_opp_k_rate"] = shrunk_rate(vs["k"], vs["bf"], PITCHER_PRIOR_BF, lg)

    park_rows = starts.assign(park=_home_team(starts))
    park_sums = {
        "k": ("strikeouts", PARK_WINDOW_STARTS),
        "bf": ("batters_faced", PARK_WINDOW_STARTS),
    }
    park = as_of(t.assign(park=_home_team(t)), states(park_rows, ["park"], park_sums), ["park"])
    f["park_k_factor"] = shrunk_rate(park["k"], park["bf"], PARK_PRIOR_BF, lg) / lg

    ump_rows = starts.dropna(subset=["umpire_home"])
    ump_sums = {
        "k": ("strikeouts", UMPIRE_WINDOW_STARTS),
        "bf": ("batters_faced", UMPIRE_WINDOW_STARTS),
    }
    ump = as_of(t, states(ump_rows, ["umpire_home"], ump_sums), ["umpire_home"])
    f["umpire_k_factor"] = shrunk_rate(ump["k"], ump["bf"], UMPIRE_PRIOR_BF, lg) / lg

    f["is_home"] = t["is_home"].astype("float64")
    f["month"] = t["game_date"].dt.month.astype("float64")
    f["is_postseason"] = (t["game_type"] != "regular").astype("float64")
    opening = t["season"].map(history.openers.set_index("season")["first_game"])
    first = pd.concat([opening, t["game_date"]], axis=1).min(axis=1)
    f["days_into_season"] = (t["game_date"] - first).dt.days.astype("float64")


def _home_team(frame: Frame) -> pd.Series:
    return frame["team"].where(frame["is_home"].astype(bool), frame["opponent"])


def _line_features(f: dict[str, pd.Series], t: Frame, history: History) -> None:
    line = t["open_line"]
    f["line"] = line
    f["k_avg_last5_minus_line"] = f["k_avg_last5"] - line
    f["expected_k_minus_line"] = f["expected_k_matchup"] - line
    f["implied_over_prob"] = pd.Series(
        devig_two_way(t["open_over"].to_numpy(), t["open_under"].to_numpy())[0], index=t.index
    )
    lined = history.lines.merge(
        history.starts[["game_id", "pitcher_id", "strikeouts"]], on=["game_id", "pitcher_id"]
    )
    k, close = lined["strikeouts"], lined["close_line"]
    lined = lined.assign(over=(k > close).astype("float64").where((k != close) & close.notna()))
    lined = lined.dropna(subset=["over"])
    sums = {"over": ("over", LINE_WINDOW_STARTS), "n": ("_one", LINE_WINDOW_STARTS)}
    s = as_of(t, states(lined, ["pitcher_id"], sums), ["pitcher_id"])
    f["over_rate_last10_lines"] = _mean(s["over"], s["n"])
