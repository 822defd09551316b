"""The pitcher-games features are built for: checked, typed, and derived for backtests.

Invariant: a target carries only what is known before its game (who pitches where, against
whom, the umpire, the opening line); its outcome never enters a target frame. A history cut
at D only serves targets dated on or before D, since a later target would miss games in
between.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from strikeouts.errors import StrikeoutsError
from strikeouts.features.history import History

KEY_COLUMNS = ("game_date", "game_id", "pitcher_id", "team", "opponent", "is_home")
LINE_COLUMNS = ("open_line", "open_over", "open_under")
OPTIONAL_TEXT = ("umpire_home", "park_id")


class TargetError(StrikeoutsError, ValueError):
    """A target frame that the builder cannot use, with the column and value named."""


def normal_targets(targets: pd.DataFrame, before: pd.Timestamp | None) -> pd.DataFrame:
    """``targets`` checked and typed, with season, game_type and line columns present."""
    missing = [c for c in KEY_COLUMNS if c not in targets.columns]
    if missing:
        raise TargetError(f"targets: missing required column(s) {missing}")
    for column in KEY_COLUMNS:
        nulls = targets[column].isna().to_numpy()
        if nulls.any():
            row = int(np.flatnonzero(nulls)[0])
            raise TargetError(f"targets.{column} is NULL at row {row} ({int(nulls.sum())} rows)")
    t = targets.reset_index(drop=True).copy()
    t["game_date"] = pd.to_datetime(t["game_date"]).astype("datetime64[ns]")
    t["pitcher_id"] = t["pitcher_id"].astype("int64")
    t["is_home"] = t["is_home"].astype("bool")
    for column in ("game_id", "team", "opponent"):
        t[column] = t[column].astype("object")
    if before is not None and bool((t["game_date"] > before).any()):
        late = t.loc[t["game_date"] > before, "game_date"].min()
        raise TargetError(
            f"targets.game_date {late.date()} is after the history's cut {before.date()}: "
            "the history lacks the games in between (load it with before=that date)"
        )
    if "season" not in t.columns:
        t["season"] = t["game_date"].dt.year
    t["season"] = t["season"].astype("int64")
    if "game_type" not in t.columns:
        t["game_type"] = "regular"  # the schedule feeding targets holds regular-season games
    for column in OPTIONAL_TEXT:
        values = t[column] if column in t.columns else pd.Series(None, index=t.index)
        t[column] = values.astype("object").where(values.notna(), None)
    for column in LINE_COLUMNS:
        values = t[column] if column in t.columns else pd.Series(np.nan, index=t.index)
        t[column] = pd.to_numeric(values).astype("float64")
    return t


def start_targets(history: History, first: dt.date, last: dt.date) -> pd.DataFrame:
    """The starts of ``first``..``last`` in ``history`` as targets, with their opening lines.

    For backtests: the history must reach past ``last`` (``before`` None or later). Only the
    opening snapshot of a line is attached, as that is what is known when the event fires.
    """
    lo, hi = pd.Timestamp(first), pd.Timestamp(last)
    if history.before is not None and history.before <= hi:
        raise TargetError(
            f"start_targets: history cut at {history.before.date()} has no starts up to {hi.date()}"
        )
    s = history.starts
    rows = s.loc[(s["game_date"] >= lo) & (s["game_date"] <= hi)]
    columns = [*KEY_COLUMNS, "season", *OPTIONAL_TEXT]
    lines = history.lines[["game_id", "pitcher_id", *LINE_COLUMNS]]
    return rows[columns].merge(lines, on=["game_id", "pitcher_id"], how="left")
