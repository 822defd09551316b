"""A snapshot of today's lines: Odds API events matched to games, pitchers to players.

Invariants:

- Every snapshot is kept (``prop_line_snapshots`` is keyed by the books' snapshot time), so
  the history of a line survives; re-fetching an unchanged market writes nothing new.
- An event is matched to a game by both teams' full names and the nearest commence time
  within ``window`` of the game's time (a doubleheader's two games are told apart by time);
  an event matching no game is a rejected row, not a guess. Pitchers are matched by name
  through the register matcher with the game's probable starters as the evidence of who
  pitches, so the probable wins over a namesake.
- Either every matched event's odds are fetched or the snapshot raises (no partial market).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from strikeouts.data.names_match import match_pitchers
from strikeouts.data.teams import TeamCodes
from strikeouts.gameday.record import record_problems
from strikeouts.sources.consensus import consensus
from strikeouts.sources.odds import SOURCE
from strikeouts.sources.parse import raw
from strikeouts.sources.ports import EventOdds, LinesSource, OddsEvent, Problem, ScheduledGame
from strikeouts.warehouse.base import Warehouse

TABLE = "prop_line_snapshots"


@dataclass(frozen=True)
class LinesReport:
    """What one snapshot fetched and stored."""

    events: int
    matched_events: int
    lines: int
    matched_pitchers: int
    new_rows: int
    rejected: int


def snapshot_lines(
    games: list[ScheduledGame],
    ids: Mapping[int, str],
    source: LinesSource,
    warehouse: Warehouse,
    teams: TeamCodes,
    window: dt.timedelta,
    now: dt.datetime,
) -> LinesReport:
    """Fetch the lines of ``games`` now and store them as one snapshot per event."""
    live = [g for g in games if not g.void]
    if not live:
        return LinesReport(0, 0, 0, 0, 0, 0)
    start = min(g.game_time for g in live) - window
    end = max(g.game_time for g in live) + window
    events, problems = source.events(start, end)
    matched: list[tuple[OddsEvent, ScheduledGame]] = []
    for i, event in enumerate(events):
        game = match_event(event, live, teams, window)
        if game is None:
            problems.append(_unmatched(event, i, start, end))
        else:
            matched.append((event, game))
    odds = [(source.event_odds(event), game) for event, game in matched]
    rows = _rows(odds, ids, now)
    for quote_odds, _ in odds:
        problems.extend(quote_odds.problems)
    frame = _with_pitchers(pd.DataFrame(rows), warehouse, live, ids)
    new_rows = warehouse.merge(TABLE, frame) if not frame.empty else 0
    rejected = record_problems(warehouse, problems, TABLE, now)
    return LinesReport(
        events=len(events),
        matched_events=len(matched),
        lines=len(frame),
        matched_pitchers=int(frame["pitcher_id"].notna().sum()) if not frame.empty else 0,
        new_rows=new_rows,
        rejected=rejected,
    )


def match_event(
    event: OddsEvent, games: list[ScheduledGame], teams: TeamCodes, window: dt.timedelta
) -> ScheduledGame | None:
    """The game with both teams of ``event`` whose time is nearest its commence time."""
    home = teams.from_full_name.get(event.home_name)
    away = teams.from_full_name.get(event.away_name)
    same = [
        g
        for g in games
        if (g.home_code, g.away_code) == (home, away)
        and abs(g.game_time - event.commence_time) <= window
    ]
    return min(same, key=lambda g: abs(g.game_time - event.commence_time), default=None)


def _unmatched(event: OddsEvent, index: int, start: dt.datetime, end: dt.datetime) -> Problem:
    value = f"{event.away_name} @ {event.home_name} {event.commence_time.isoformat()}"
    reason = f"event matches no game of the schedule ({start:%Y-%m-%dT%H:%MZ}..{end:%H:%MZ})"
    return Problem(
        f"odds-api:events/{event.event_id}",
        index,
        "home_team,away_team",
        value,
        reason,
        raw(event.__dict__),
    )


def _rows(
    odds: list[tuple[EventOdds, ScheduledGame]], ids: Mapping[int, str], now: dt.datetime
) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for event, game in odds:
        for line in consensus(event.quotes):
            rows.append(
                {
                    "game_date": game.official_date,
                    "event_id": event.event_id,
                    "pitcher_name": line.pitcher_name,
                    "snapshot_at": pd.Timestamp(event.snapshot_at),
                    "fetched_at": pd.Timestamp(now),
                    "commence_time": pd.Timestamp(event.commence_time),
                    "home_team": game.home_code,
                    "away_team": game.away_code,
                    "game_id": ids[game.game_pk],
                    "game_pk": game.game_pk,
                    "line": line.line,
                    "over_odds": line.over,
                    "under_odds": line.under,
                    "n_books": line.n_books,
                    "n_lines": line.n_lines,
                    "main_line_books_json": line.main_line_books_json,
                    "all_lines_json": line.all_lines_json,
                    "source": SOURCE,
                }
            )
    return rows


def _with_pitchers(
    rows: pd.DataFrame, warehouse: Warehouse, games: list[ScheduledGame], ids: Mapping[int, str]
) -> pd.DataFrame:
    """``rows`` with ``pitcher_id``, ``match_method`` and ``unmatched_reason`` from the matcher."""
    if rows.empty:
        return rows
    players = warehouse.query("SELECT * FROM players")
    matched = match_pitchers(rows, players, probables_frame(games, ids))
    return rows.assign(
        pitcher_id=matched["player_id"],
        match_method=matched["match_method"],
        unmatched_reason=matched["unmatched_reason"],
    )


def probables_frame(games: list[ScheduledGame], ids: Mapping[int, str]) -> pd.DataFrame:
    """The probable starters as the matcher's ``starts`` (game_date, pitcher_id, team, game_id)."""
    rows = [
        {
            "game_date": pd.Timestamp(g.official_date),
            "pitcher_id": p.pitcher_id,
            "team": team,
            "game_id": ids[g.game_pk],
        }
        for g in games
        for p, team in ((g.home_probable, g.home_code), (g.away_probable, g.away_code))
        if p is not None
    ]
    return pd.DataFrame(rows, columns=["game_date", "pitcher_id", "team", "game_id"])
