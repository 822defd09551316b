"""Today's game-schedule event from live data: the probable starters and the latest lines.

Invariants:

- Only pre-game games are on the slate; postponed, suspended and cancelled games, and games
  already under way, are left off (and counted), as is a side whose probable is TBD.
- Each starter carries the latest line snapshot of his game (the consensus line, its median
  prices and the books' snapshot time), never a line of another game.
- With an injured list, each starter carries ``injured_list`` (true or false) when his team's
  list is known, and ``injured_list_unknown: true`` when it is not (the source failed with
  nothing cached): the slate goes on, and his rows say the check could not be made.
- The run id is the date plus a digest of what the slate says (games, starters, lines) and the
  model versions: the same slate run twice is the same run (nothing new is written), while a
  scratch or a line move makes a new run whose rows supersede the earlier ones in
  ``pitcher_strikeout_predictions_latest`` (newest ``run_created_at`` per pitcher-game and
  system). "The" prediction of a pitcher-game is its ``ensemble_v1`` row in that view.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import pandas as pd

from strikeouts.gameday.injuries import InjuredList
from strikeouts.pipeline.clock import to_iso
from strikeouts.pipeline.messages import SCHEMA_VERSION, validate
from strikeouts.pipeline.payloads import GameScheduleEvent, LineMessage
from strikeouts.pipeline.payloads import ScheduledGame as ScheduledGameMessage
from strikeouts.runtime.schedule import LINE_BOOK
from strikeouts.sources.ports import SCHEDULED, ScheduledGame
from strikeouts.warehouse.base import Warehouse

LATEST_SQL = """
SELECT game_id, pitcher_id, line, over_odds, under_odds, snapshot_at
FROM prop_line_snapshots
WHERE game_date = @day AND game_id IS NOT NULL AND pitcher_id IS NOT NULL
  AND snapshot_at <= @asof
QUALIFY ROW_NUMBER() OVER (
  PARTITION BY game_id, pitcher_id ORDER BY snapshot_at DESC, event_id
) = 1
"""


@dataclass(frozen=True)
class SlateReport:
    """What went on the slate and what was left off."""

    games: int
    starters: int
    lined: int
    tbd: int
    void: int
    not_pregame: int
    injured: int = 0
    """Starters on the injured list (their rows are skipped by the ``injured_list`` flag)."""
    injury_unknown: int = 0
    """Starters whose team's injured list could not be read (nor found in the cache)."""


def live_event(
    day: dt.date,
    games: Sequence[ScheduledGame],
    ids: Mapping[int, str],
    warehouse: Warehouse,
    created: dt.datetime,
    model_versions: Mapping[str, str],
    expected_systems: Sequence[str] | None = None,
    injuries: InjuredList | None = None,
) -> tuple[GameScheduleEvent, SlateReport]:
    """The validated game-schedule event of ``day`` and what it left off; ``injuries``
    (None: not read) marks each starter's injured-list status."""
    warehouse.ensure_tables(["prop_line_snapshots"])
    lines = latest_lines(warehouse, day, created)
    pregame = [g for g in games if g.state == SCHEDULED]
    entries = [_game(g, ids[g.game_pk], lines, injuries) for g in sorted(pregame, key=_order)]
    entries = [e for e in entries if e["starters"]]
    starters = sum(len(e["starters"]) for e in entries)
    event: GameScheduleEvent = {
        "schema_version": SCHEMA_VERSION,
        "message_type": "game-schedule",
        "run_id": live_run_id(day, entries, model_versions),
        "run_created_at": to_iso(created),
        "game_date": day.isoformat(),
        # a game without both team codes is refused by validate() below
        "games": cast(list[ScheduledGameMessage], entries),
    }
    if expected_systems:
        event["expected_systems"] = list(expected_systems)
    validate("game-schedule", event)
    report = SlateReport(
        games=len(entries),
        starters=starters,
        lined=sum(1 for e in entries for s in e["starters"] if "line" in s),
        tbd=sum((g.home_probable is None) + (g.away_probable is None) for g in pregame),
        void=sum(1 for g in games if g.void),
        not_pregame=sum(1 for g in games if not g.void and g.state != SCHEDULED),
        injured=sum(1 for e in entries for s in e["starters"] if s.get("injured_list")),
        injury_unknown=sum(
            1 for e in entries for s in e["starters"] if s.get("injured_list_unknown")
        ),
    )
    return event, report


def latest_lines(
    warehouse: Warehouse, day: dt.date, asof: dt.datetime
) -> dict[tuple[str, int], LineMessage]:
    """(game_id, pitcher_id) → the latest snapshot's line of ``day`` taken by ``asof``."""
    frame = warehouse.query(LATEST_SQL, {"day": day, "asof": asof})
    out: dict[tuple[str, int], LineMessage] = {}
    for row in frame.to_dict("records"):
        line: LineMessage = {
            "line": float(row["line"]),
            "over_odds": _odds(row["over_odds"]),
            "under_odds": _odds(row["under_odds"]),
            "book": LINE_BOOK,
            "snapshot_at": to_iso(pd.Timestamp(row["snapshot_at"]).to_pydatetime()),
        }
        out[(str(row["game_id"]), int(row["pitcher_id"]))] = line
    return out


def live_run_id(
    day: dt.date, games: Sequence[Mapping[str, Any]], versions: Mapping[str, str]
) -> str:
    """``DATE_live_DIGEST``: the same slate and models give the same run id."""
    content = json.dumps({"games": games, "models": dict(sorted(versions.items()))}, sort_keys=True)
    return f"{day.isoformat()}_live_{hashlib.sha256(content.encode()).hexdigest()[:16]}"


def _order(game: ScheduledGame) -> tuple[dt.datetime, int]:
    return (game.game_time, game.game_pk)


def _odds(value: Any) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


def _game(
    game: ScheduledGame,
    game_id: str,
    lines: Mapping[tuple[str, int], LineMessage],
    injuries: InjuredList | None,
) -> dict[str, Any]:
    starters = []
    for probable, team, team_id in (
        (game.away_probable, game.away_code, game.away_team_id),
        (game.home_probable, game.home_code, game.home_team_id),
    ):
        if probable is None:
            continue
        starter: dict[str, Any] = {"pitcher_id": probable.pitcher_id, "team": team}
        if probable.name:
            starter["pitcher_name"] = probable.name
        line = lines.get((game_id, probable.pitcher_id))
        if line is not None:
            starter["line"] = line
        if injuries is not None:
            injured = injuries.status(team_id, probable.pitcher_id)
            if injured is None:
                starter["injured_list_unknown"] = True
            else:
                starter["injured_list"] = injured
        starters.append(starter)
    return {
        "game_id": game_id,
        "game_pk": game.game_pk,
        "game_time": to_iso(game.game_time),
        "home_team": game.home_code,
        "away_team": game.away_code,
        "starters": starters,
    }
