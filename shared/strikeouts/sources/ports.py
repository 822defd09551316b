"""What the game day asks of its live sources, and the plain values they answer with.

Invariant: everything here is already parsed and typed; a value that could not be parsed
never appears as a field — it is a :class:`Problem` (path, value, reason, raw JSON) that the
caller records as a rejected row, so nothing is dropped silently.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Protocol

POSTPONED = "postponed"
SUSPENDED = "suspended"
FINAL = "final"
SCHEDULED = "scheduled"
CANCELLED = "cancelled"
OTHER = "other"


@dataclass(frozen=True)
class Problem:
    """One input item that could not be used, with where it was and why."""

    source_url: str
    index: int
    field: str
    value: str | None
    reason: str
    raw: str | None = None


@dataclass(frozen=True)
class Probable:
    """A probable (or actual) pitcher named by the schedule."""

    pitcher_id: int
    name: str | None


@dataclass(frozen=True)
class ScheduledGame:
    """One game of the schedule: ids, time, teams (full names and codes), state, probables."""

    game_pk: int
    official_date: dt.date
    game_time: dt.datetime
    state: str
    detailed_state: str
    home_name: str
    away_name: str
    home_code: str | None
    away_code: str | None
    game_number: int
    doubleheader: bool
    home_probable: Probable | None = None
    away_probable: Probable | None = None
    home_team_id: int | None = None
    """The Stats API's team id (``teams.home.team.id``): what its roster endpoint takes."""
    away_team_id: int | None = None

    @property
    def void(self) -> bool:
        """Postponed, suspended or cancelled: its bets are void, its probables do not start."""
        return self.state in (POSTPONED, SUSPENDED, CANCELLED)


@dataclass(frozen=True)
class PitchingLine:
    """One pitcher's line in a box score."""

    pitcher_id: int
    name: str | None
    games_started: int
    strikeouts: int
    outs: int
    batters_faced: int | None
    pitches: int | None
    walks: int | None
    hits: int | None
    runs: int | None


@dataclass(frozen=True)
class BoxScore:
    """The starters of a finished game: ``home``/``away`` → the first pitcher's line."""

    game_pk: int
    url: str
    starters: dict[str, PitchingLine] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


@dataclass(frozen=True)
class Schedule:
    """The games of one date as the source listed them, and the items it could not parse."""

    day: dt.date
    url: str
    games: list[ScheduledGame]
    problems: list[Problem] = field(default_factory=list)


@dataclass(frozen=True)
class RosterEntry:
    """One player of a team's 40-man roster on a date, with his roster status."""

    person_id: int
    name: str | None
    status_code: str
    """``A`` active, ``D7``/``D10``/``D15``/``D60`` injured list, ``RM`` minors, ..."""
    status_description: str | None


@dataclass(frozen=True)
class Roster:
    """A team's 40-man roster as of one date, and the entries that could not be parsed."""

    team_id: int
    day: dt.date
    url: str
    entries: list[RosterEntry]
    problems: list[Problem] = field(default_factory=list)


@dataclass(frozen=True)
class LineQuote:
    """One book's over/under prices at one point for one pitcher."""

    book: str
    pitcher_name: str
    point: float
    over: int | None
    under: int | None


@dataclass(frozen=True)
class EventOdds:
    """One betting event (not an MLB game id) and every pitcher-strikeout quote it had."""

    event_id: str
    commence_time: dt.datetime
    home_name: str
    away_name: str
    snapshot_at: dt.datetime
    url: str
    quotes: list[LineQuote] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


@dataclass(frozen=True)
class OddsEvent:
    """An event of the events list: id, teams and commence time (UTC)."""

    event_id: str
    commence_time: dt.datetime
    home_name: str
    away_name: str


class GameSource(Protocol):
    """Schedules and box scores (the MLB Stats API, or a test double)."""

    def schedule(self, day: dt.date) -> Schedule:
        """The games officially dated ``day``."""
        ...

    def boxscore(self, game_pk: int) -> BoxScore:
        """The starters' lines of one game."""
        ...


class RosterSource(Protocol):
    """Teams' 40-man rosters with each player's status (the Stats API, or a test double)."""

    def roster(self, team_id: int, day: dt.date) -> Roster:
        """The 40-man roster of ``team_id`` as of ``day``."""
        ...


class LinesSource(Protocol):
    """Pitcher-strikeout lines (The Odds API, or a test double)."""

    def events(self, start: dt.datetime, end: dt.datetime) -> tuple[list[OddsEvent], list[Problem]]:
        """Events commencing in ``start``..``end`` (UTC)."""
        ...

    def event_odds(self, event: OddsEvent) -> EventOdds:
        """Every pitcher-strikeout quote of one event, now."""
        ...
