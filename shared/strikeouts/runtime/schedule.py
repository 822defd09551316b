"""The game-schedule event of a date, built from the warehouse as a scheduler would publish it.

Invariant: an event carries only what is known before its games: who starts (for past dates
the actual starters stand in for the probable ones) and the OPENING line snapshot, never the
closing one. The same slate query feeds the feature source's targets, so the header line and
the line-relative features of a pitcher-game always agree.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from strikeouts.errors import StrikeoutsError
from strikeouts.pipeline.clock import to_iso
from strikeouts.pipeline.messages import SCHEMA_VERSION, validate
from strikeouts.pipeline.payloads import GameScheduleEvent, LineMessage, ScheduledGame, Starter
from strikeouts.warehouse.base import Warehouse

LINE_BOOK = "consensus"
RUN_ID_MAX = 128

# One row per start in the date range, with its game's context and the opening line.
# Duplicate line rows for a start keep the earliest opening snapshot (deterministic).
SLATE_SQL = """
SELECT s.game_date, s.season, s.game_id, s.game_pk, s.pitcher_id, s.pitcher_name, s.team,
       s.opponent, s.is_home, g.game_type, g.umpire_home, g.park_id,
       l.open_line, l.open_over, l.open_under, l.open_snapshot_at, l.game_time
FROM pitcher_starts AS s
LEFT JOIN games AS g ON g.game_id = s.game_id
LEFT JOIN (
  SELECT game_id, pitcher_id, open_line, open_over, open_under, open_snapshot_at, game_time
  FROM prop_lines
  WHERE game_id IS NOT NULL AND pitcher_id IS NOT NULL
    AND game_date BETWEEN @first AND @last
  QUALIFY ROW_NUMBER() OVER (
    PARTITION BY game_id, pitcher_id ORDER BY open_snapshot_at, event_id
  ) = 1
) AS l ON l.game_id = s.game_id AND l.pitcher_id = s.pitcher_id
WHERE s.game_date BETWEEN @first AND @last
ORDER BY s.game_date, s.game_id, s.is_home DESC, s.pitcher_id
"""

GAME_DATES_SQL = """
SELECT DISTINCT game_date FROM pitcher_starts WHERE game_date BETWEEN @first AND @last
ORDER BY game_date
"""


class ScheduleError(StrikeoutsError, ValueError):
    """A date or range the warehouse has no schedule for, with the value named."""


def slate(warehouse: Warehouse, first: dt.date, last: dt.date) -> pd.DataFrame:
    """The starts of ``first``..``last`` with game context and opening line (feature targets)."""
    frame = warehouse.query(SLATE_SQL, {"first": first, "last": last})
    frame["game_date"] = pd.to_datetime(frame["game_date"]).astype("datetime64[ns]")
    return frame


def game_dates(warehouse: Warehouse, first: dt.date, last: dt.date) -> list[dt.date]:
    """Dates in ``first``..``last`` with at least one start in the warehouse."""
    frame = warehouse.query(GAME_DATES_SQL, {"first": first, "last": last})
    return [pd.Timestamp(d).date() for d in frame["game_date"]]


def default_run_id(game_date: dt.date, model_versions: Mapping[str, str]) -> str:
    """Deterministic run id from the date and the model versions (same models = same run)."""
    parts = "_".join(f"{s}.{v}" for s, v in sorted(model_versions.items()))
    run_id = f"{game_date.isoformat()}_{parts}" if parts else game_date.isoformat()
    if len(run_id) <= RUN_ID_MAX:
        return run_id
    digest = hashlib.sha256(parts.encode()).hexdigest()[:16]
    return f"{game_date.isoformat()}_{digest}"


def _number(value: Any) -> float | None:
    if value is None or pd.isna(value):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _odds(value: Any) -> int | None:
    number = _number(value)
    # American odds live outside (-100, 100); anything else is not a price
    return None if number is None or abs(number) < 100 else int(number)


def _line(row: Mapping[Any, Any]) -> LineMessage | None:
    line = _number(row["open_line"])
    if line is None:
        return None
    out: LineMessage = {
        "line": line,
        "over_odds": _odds(row["open_over"]),
        "under_odds": _odds(row["open_under"]),
        "book": LINE_BOOK,
    }
    snapshot = _timestamp(row.get("open_snapshot_at"))
    if snapshot is not None:
        out["snapshot_at"] = snapshot
    return out


def _timestamp(value: Any) -> str | None:
    """An ISO UTC timestamp of a warehouse value, or None when missing."""
    if value is None or pd.isna(value):
        return None
    stamp = pd.Timestamp(value)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return to_iso(stamp.to_pydatetime())


def _starter(row: Mapping[Any, Any]) -> Starter:
    starter: Starter = {"pitcher_id": int(row["pitcher_id"]), "team": str(row["team"])}
    if row["pitcher_name"] is not None and not pd.isna(row["pitcher_name"]):
        starter["pitcher_name"] = str(row["pitcher_name"])
    line = _line(row)
    if line is not None:
        starter["line"] = line
    return starter


def _games(day: Sequence[Mapping[Any, Any]]) -> list[ScheduledGame]:
    by_game: dict[str, list[Mapping[Any, Any]]] = {}
    for row in day:
        by_game.setdefault(str(row["game_id"]), []).append(row)
    games: list[ScheduledGame] = []
    for game_id in sorted(by_game):
        rows = by_game[game_id]
        first = rows[0]
        home = first["team"] if bool(first["is_home"]) else first["opponent"]
        away = first["opponent"] if bool(first["is_home"]) else first["team"]
        game: ScheduledGame = {
            "game_id": game_id,
            "home_team": str(home),
            "away_team": str(away),
            "starters": [_starter(r) for r in rows],
        }
        if not pd.isna(first["game_pk"]):
            game["game_pk"] = int(first["game_pk"])
        # the books' commence time: the only first-pitch time the history has
        times = [_timestamp(r.get("game_time")) for r in rows]
        if any(times):
            game["game_time"] = min(t for t in times if t)
        games.append(game)
    return games


def schedule_event(
    day: Sequence[Mapping[Any, Any]],
    game_date: dt.date,
    run_id: str,
    run_created_at: dt.datetime,
    expected_systems: list[str] | None = None,
) -> GameScheduleEvent:
    """The validated game-schedule event of ``game_date`` from its slate rows (as records)."""
    event: GameScheduleEvent = {
        "schema_version": SCHEMA_VERSION,
        "message_type": "game-schedule",
        "run_id": run_id,
        "run_created_at": to_iso(run_created_at),
        "game_date": game_date.isoformat(),
        "games": _games(day),
    }
    if expected_systems:
        event["expected_systems"] = list(expected_systems)
    validate("game-schedule", event)
    return event
