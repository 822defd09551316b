"""Games of the live schedule under the warehouse's one game id.

Invariant: a game the warehouse already knows (same ``game_pk``) keeps its ``game_id``; a new
one gets the Retrosheet-format id the bulk ingest would synthesize (home team's Retrosheet
code, official date, doubleheader number: 0 for a single game, ``gameNumber`` for a
doubleheader), so a later bulk ingest of the same game lands on the same key.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import pandas as pd

from strikeouts.data.teams import TeamCodes
from strikeouts.sources.ports import ScheduledGame
from strikeouts.warehouse.base import Warehouse

SOURCE = "statsapi"
KNOWN_SQL = "SELECT game_pk, game_id FROM games WHERE game_date = @day AND game_pk IS NOT NULL"


def game_ids(
    warehouse: Warehouse, day: dt.date, games: Iterable[ScheduledGame], teams: TeamCodes
) -> dict[int, str]:
    """``game_pk`` → ``game_id`` for every game of the schedule of ``day``."""
    warehouse.ensure_tables(["games"])
    known = warehouse.query(KNOWN_SQL, {"day": day})
    by_pk = {int(pk): str(gid) for pk, gid in zip(known["game_pk"], known["game_id"], strict=True)}
    out: dict[int, str] = {}
    for game in games:
        out[game.game_pk] = by_pk.get(game.game_pk) or synthesize(game, teams)
    return out


def synthesize(game: ScheduledGame, teams: TeamCodes) -> str:
    """The Retrosheet-format id of a game the warehouse does not know yet."""
    retro = teams.to_retro.get(game.home_code or "")
    if retro is None:
        raise ValueError(f"no Retrosheet code for home team {game.home_code!r} in team_codes.csv")
    number = game.game_number if game.doubleheader else 0
    return f"{retro}{game.official_date:%Y%m%d}{number}"


def games_rows(games: Iterable[ScheduledGame], ids: dict[int, str]) -> pd.DataFrame:
    """Rows of the ``games`` table for the schedule's games (source ``statsapi``)."""
    rows = [
        {
            "game_id": ids[g.game_pk],
            "game_pk": g.game_pk,
            "game_date": g.official_date,
            "season": g.official_date.year,
            "doubleheader": int(ids[g.game_pk][-1]),
            "home_team": g.home_code,
            "away_team": g.away_code,
            "game_type": "regular",
            "source": SOURCE,
        }
        for g in games
    ]
    return pd.DataFrame(rows)
