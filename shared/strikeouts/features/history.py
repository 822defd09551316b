"""The game history features are computed from, loaded once from the warehouse.

Invariant: a ``History`` loaded (or cut) with ``before=D`` holds only rows with
``game_date < D``: the filter is in the SQL and asserted on the frames that come back, so
nothing on or after D can reach a feature for D.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd

from strikeouts.warehouse.base import Warehouse

STARTS_SQL = """
SELECT s.game_date, s.season, s.game_id, s.pitcher_id, s.team, s.opponent, s.is_home,
       s.strikeouts, s.outs, s.batters_faced, s.walks, s.hits, s.runs, s.pitches, s.tto_max,
       g.umpire_home, g.park_id
FROM pitcher_starts AS s
LEFT JOIN games AS g ON g.game_id = s.game_id
{where}
"""

OPENERS_SQL = """
SELECT season, MIN(game_date) AS first_game FROM games {where} GROUP BY season
"""

LINES_SQL = """
SELECT game_date, game_id, pitcher_id, open_line, open_over, open_under, close_line
FROM prop_lines
WHERE pitcher_id IS NOT NULL AND game_id IS NOT NULL {and_before}
"""

FLOAT_COLUMNS = (
    "strikeouts",
    "outs",
    "batters_faced",
    "walks",
    "hits",
    "runs",
    "pitches",
    "tto_max",
)


@dataclass(frozen=True)
class History:
    """Starts (with their game's umpire and park), season opening days and prop lines."""

    starts: pd.DataFrame
    openers: pd.DataFrame
    lines: pd.DataFrame
    before: pd.Timestamp | None = None

    @classmethod
    def load(cls, warehouse: Warehouse, before: dt.date | None = None) -> History:
        """The history in ``warehouse``; with ``before``, only games strictly before that date."""
        params: dict[str, Any] = {} if before is None else {"before": before}
        where = "" if before is None else "WHERE game_date < @before"
        starts = warehouse.query(
            STARTS_SQL.format(where="" if before is None else "WHERE s.game_date < @before"),
            params,
        )
        openers = warehouse.query(OPENERS_SQL.format(where=where), params)
        lines = warehouse.query(
            LINES_SQL.format(and_before="" if before is None else "AND game_date < @before"),
            params,
        )
        cut = None if before is None else pd.Timestamp(before)
        history = cls(
            starts=_normal_starts(starts).reset_index(drop=True),
            openers=_with_dates(openers, "first_game"),
            lines=_normal_lines(lines).reset_index(drop=True),
            before=cut,
        )
        history.check()  # the SQL filter is the guard; this proves it held
        return history

    @classmethod
    def from_frames(
        cls,
        starts: pd.DataFrame,
        openers: pd.DataFrame,
        lines: pd.DataFrame,
        before: dt.date | pd.Timestamp | None = None,
    ) -> History:
        """A history from frames shaped like the queries' results, cut at ``before``."""
        cut = None if before is None else pd.Timestamp(before)
        history = cls(
            starts=_cut(_normal_starts(starts), cut),
            openers=_cut(_with_dates(openers, "first_game"), cut, "first_game"),
            lines=_cut(_normal_lines(lines), cut),
            before=cut,
        )
        history.check()
        return history

    def cut(self, before: dt.date | pd.Timestamp) -> History:
        """This history without any game on or after ``before`` (what a load at D returns)."""
        return History.from_frames(self.starts, self.openers, self.lines, before)

    def check(self) -> None:
        """Raise ``AssertionError`` when any row is on or after ``before``."""
        if self.before is None:
            return
        for name, frame, column in (
            ("starts", self.starts, "game_date"),
            ("openers", self.openers, "first_game"),
            ("lines", self.lines, "game_date"),
        ):
            late = frame[column] >= self.before
            if bool(late.any()):
                raise AssertionError(
                    f"history {name}: {int(late.sum())} row(s) dated on or after "
                    f"{self.before.date()} (first {frame.loc[late, column].min().date()})"
                )


def _dates(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values).astype("datetime64[ns]")


def _with_dates(frame: pd.DataFrame, column: str = "game_date") -> pd.DataFrame:
    out = frame.copy()
    out[column] = _dates(out[column])
    return out


def _cut(
    frame: pd.DataFrame, before: pd.Timestamp | None, column: str = "game_date"
) -> pd.DataFrame:
    if before is None:
        return frame.reset_index(drop=True)
    return frame.loc[frame[column] < before].reset_index(drop=True)


def _normal_starts(starts: pd.DataFrame) -> pd.DataFrame:
    out = _with_dates(starts)
    out["season"] = out["season"].astype("int64")
    out["pitcher_id"] = out["pitcher_id"].astype("int64")
    out["is_home"] = out["is_home"].astype("bool")
    for column in ("game_id", "team", "opponent", "umpire_home", "park_id"):
        out[column] = out[column].astype("object").where(out[column].notna(), None)
    for column in FLOAT_COLUMNS:
        out[column] = pd.to_numeric(out[column]).astype("float64")
    return out.sort_values(["game_date", "game_id", "pitcher_id"], kind="stable")


def _normal_lines(lines: pd.DataFrame) -> pd.DataFrame:
    out = _with_dates(lines)
    out["pitcher_id"] = out["pitcher_id"].astype("int64")
    out["game_id"] = out["game_id"].astype("object")
    for column in ("open_line", "open_over", "open_under", "close_line"):
        out[column] = pd.to_numeric(out[column]).astype("float64")
    # a pitcher has one line per game: the first of any duplicate rows
    return out.drop_duplicates(["game_id", "pitcher_id"], keep="first")
