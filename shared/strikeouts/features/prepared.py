"""Every history-derived state table, computed once per :class:`History` and shared by builds.

Invariant: a :class:`PreparedHistory` is a function of its ``History`` alone (no target ever
reaches it), and each table is a :func:`strikeouts.features.rolling.states` table (a row
summarises its own game and earlier ones) held as a
:class:`~strikeouts.features.rolling.StateTable`: stably sorted by ``STATE_DATE`` (the order
``as_of`` reads a state in) with its key lookup built once. ``as_of`` on it joins exactly the
rows ``merge_asof`` would, so one prepared FULL history serves targets on any date: its rows
on or after a target's date are never joined (``as_of`` is strictly earlier). A row is dated
when its outcome is known: a line's over/under result on the later of the line's and the
start's dates.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from strikeouts.features.catalog import (
    LEAGUE_WINDOW_STARTS,
    LINE_WINDOW_STARTS,
    OPPONENT_WINDOW_GAMES,
    PARK_WINDOW_STARTS,
    UMPIRE_WINDOW_STARTS,
)
from strikeouts.features.history import History
from strikeouts.features.rolling import STATE_DATE, StateTable, known, states

Frame = pd.DataFrame
Sums = dict[str, tuple[str, int | None]]


@dataclass(frozen=True, eq=False)
class PreparedHistory:
    """A history and its state tables, each sorted by ``STATE_DATE`` and indexed by its key."""

    history: History
    league: StateTable
    pitcher: StateTable
    season: StateTable
    opponent_recent: StateTable
    opponent_season: StateTable
    vs_opponent: StateTable
    park: StateTable
    umpire: StateTable
    line_results: StateTable


def prepare_history(history: History) -> PreparedHistory:
    """Every state table the builder reads, computed once from ``history``."""
    starts = history.starts
    return PreparedHistory(
        history=history,
        league=StateTable.of(_league_state(starts)),
        pitcher=StateTable.of(_pitcher_state(starts), ["pitcher_id"]),
        season=StateTable.of(_season_state(starts), ["pitcher_id", "season"]),
        opponent_recent=StateTable.of(_opponent_recent_state(starts), ["opponent"]),
        opponent_season=StateTable.of(_opponent_season_state(starts), ["opponent", "season"]),
        vs_opponent=StateTable.of(_vs_opponent_state(starts), ["pitcher_id", "opponent"]),
        park=StateTable.of(_park_state(starts), ["park"]),
        umpire=StateTable.of(_umpire_state(starts), ["umpire_home"]),
        line_results=StateTable.of(_line_state(history), ["pitcher_id"]),
    )


def home_team(frame: Frame) -> pd.Series:
    """The home team of each row (the park a start was pitched in)."""
    return frame["team"].where(frame["is_home"].astype(bool), frame["opponent"])


def _k_bf(window: int | None) -> Sums:
    return {"k": ("strikeouts", window), "bf": ("batters_faced", window)}


def _league_state(starts: Frame) -> Frame:
    rows = starts.assign(_all=0)
    state = states(rows, ["_all"], _k_bf(LEAGUE_WINDOW_STARTS)).drop(columns="_all")
    return state.drop_duplicates(STATE_DATE, keep="last")


def _pitcher_state(starts: Frame) -> Frame:
    rows = starts.assign(
        k2=starts["strikeouts"] ** 2,
        p_known=known(starts["pitches"]),
        p_bf=starts["batters_faced"].where(starts["pitches"].notna()),
        tto_known=known(starts["tto_max"]),
    )
    sums: Sums = {"career": ("_one", None)}
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


def _season_state(starts: Frame) -> Frame:
    sums: Sums = {
        c: (c, None) for c in ("strikeouts", "outs", "batters_faced", "runs", "walks", "hits")
    }
    sums |= {"n": ("_one", None), "runs_known": ("runs_known", None)}
    rows = starts.assign(runs_known=known(starts["runs"]))
    return states(rows, ["pitcher_id", "season"], sums)


def _opponent_recent_state(starts: Frame) -> Frame:
    # starts keyed by "opponent" are that team's batting against starters: every season has
    # starts, while team_games are absent for 2026
    return states(starts, ["opponent"], _k_bf(OPPONENT_WINDOW_GAMES))


def _opponent_season_state(starts: Frame) -> Frame:
    return states(starts, ["opponent", "season"], _k_bf(None))


def _vs_opponent_state(starts: Frame) -> Frame:
    return states(starts, ["pitcher_id", "opponent"], {**_k_bf(None), "n": ("_one", None)})


def _park_state(starts: Frame) -> Frame:
    return states(starts.assign(park=home_team(starts)), ["park"], _k_bf(PARK_WINDOW_STARTS))


def _umpire_state(starts: Frame) -> Frame:
    rows = starts.dropna(subset=["umpire_home"])
    return states(rows, ["umpire_home"], _k_bf(UMPIRE_WINDOW_STARTS))


def _line_state(history: History) -> Frame:
    """Per pitcher, how many of his last lined starts went over the closing line."""
    results = history.starts[["game_id", "pitcher_id", "strikeouts", "game_date"]]
    lined = history.lines.merge(
        results.rename(columns={"game_date": "_start_date"}), on=["game_id", "pitcher_id"]
    )
    k, close = lined["strikeouts"], lined["close_line"]
    lined = lined.assign(
        over=(k > close).astype("float64").where((k != close) & close.notna()),
        # the result is known once both the line and the start are: a line dated before its
        # start must not carry the start's strikeouts into the days between (in the data the
        # two dates agree, so this changes no value; it keeps a full history leak-free)
        game_date=lined[["game_date", "_start_date"]].max(axis=1),
    )
    lined = lined.dropna(subset=["over"])
    sums: Sums = {"over": ("over", LINE_WINDOW_STARTS), "n": ("_one", LINE_WINDOW_STARTS)}
    return states(lined, ["pitcher_id"], sums)
