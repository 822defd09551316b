"""The MLB Stats API adapter: the schedule of a date with probables, and box scores.

Invariant: a game or pitcher line that cannot be parsed becomes a :class:`Problem` with its
raw JSON, never a guess; the rest of the answer is still used. A schedule without the
``dates`` list, or a box score without ``teams``, is not a schedule or a box score at all and
raises :class:`SourceDataError`. The starter of a side is the first of its ``pitchers``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from strikeouts.sources import parse
from strikeouts.sources.http import JsonClient, RetryPolicy, SourceDataError
from strikeouts.sources.parse import Bad
from strikeouts.sources.ports import (
    CANCELLED,
    FINAL,
    OTHER,
    POSTPONED,
    SCHEDULED,
    SUSPENDED,
    BoxScore,
    PitchingLine,
    Probable,
    Problem,
    Schedule,
    ScheduledGame,
)

SOURCE = "statsapi"
SCHEDULE_PATH = "/api/v1/schedule"
BOXSCORE_PATH = "/api/v1/game/{game_pk}/boxscore"
SIDES = ("away", "home")

# codedGameState → our state; "D" postponed, "T"/"U" suspended, "C" cancelled, "F"/"O" final;
# "S" scheduled, "P" pre-game and "W" warm-up are before first pitch; the rest ("I" in progress,
# "M" manager challenge, ...) is a game under way
_CODED = {"D": POSTPONED, "T": SUSPENDED, "U": SUSPENDED, "C": CANCELLED, "F": FINAL, "O": FINAL}
_SCHEDULED = {"S", "P", "W"}


class StatsApiClient:
    """:class:`~strikeouts.sources.ports.GameSource` over the MLB Stats API."""

    def __init__(
        self,
        base_url: str,
        team_codes: Mapping[str, str],
        policy: RetryPolicy | None = None,
    ) -> None:
        self.http = JsonClient(SOURCE, base_url, policy)
        self.team_codes = dict(team_codes)
        """Full team name → canonical code (``Los Angeles Dodgers`` → ``LAD``)."""

    def schedule(self, day: dt.date) -> Schedule:
        """The games officially dated ``day`` with teams, state and probable pitchers."""
        answer = self.http.get(
            SCHEDULE_PATH,
            {"sportId": 1, "date": day.isoformat(), "hydrate": "probablePitcher,team"},
        )
        data = answer.data
        if not isinstance(data, dict) or not isinstance(data.get("dates"), list):
            raise SourceDataError(SOURCE, answer.url, "schedule without a 'dates' list")
        games: list[ScheduledGame] = []
        problems: list[Problem] = []
        items = [g for d in data["dates"] if isinstance(d, dict) for g in d.get("games") or []]
        for i, item in enumerate(items):
            try:
                game = self._game(item)
            except Bad as exc:
                problems.append(parse.problem(answer.url, i, exc, item))
                continue
            if game.official_date == day:
                games.append(game)
        return Schedule(day=day, url=answer.url, games=games, problems=problems)

    def boxscore(self, game_pk: int) -> BoxScore:
        """Each side's starter (first of ``pitchers``) with his pitching line."""
        answer = self.http.get(BOXSCORE_PATH.format(game_pk=int(game_pk)))
        data = answer.data
        if not isinstance(data, dict) or not isinstance(data.get("teams"), dict):
            raise SourceDataError(SOURCE, answer.url, "box score without 'teams'")
        box = BoxScore(game_pk=int(game_pk), url=answer.url)
        for i, side in enumerate(SIDES):
            try:
                box.starters[side] = _starter(data["teams"], side)
            except Bad as exc:
                box.problems.append(parse.problem(answer.url, i, exc, opt_side(data, side)))
        return box

    def close(self) -> None:
        """Close the HTTP connections."""
        self.http.close()

    def _game(self, item: Any) -> ScheduledGame:
        home_name = parse.text(item, "teams.home.team.name")
        away_name = parse.text(item, "teams.away.team.name")
        return ScheduledGame(
            game_pk=parse.integer(item, "gamePk", minimum=1),
            official_date=parse.date(item, "officialDate"),
            game_time=parse.timestamp(item, "gameDate"),
            state=_state(item),
            detailed_state=parse.text(item, "status.detailedState"),
            home_name=home_name,
            away_name=away_name,
            home_code=self._code(item, "home", home_name),
            away_code=self._code(item, "away", away_name),
            game_number=parse.opt_integer(item, "gameNumber") or 1,
            doubleheader=str(parse.opt(item, "doubleHeader") or "N") in ("Y", "S"),
            home_probable=_probable(item, "home"),
            away_probable=_probable(item, "away"),
            home_team_id=parse.opt_integer(item, "teams.home.team.id"),
            away_team_id=parse.opt_integer(item, "teams.away.team.id"),
        )

    def _code(self, item: Any, side: str, name: str) -> str:
        code = self.team_codes.get(name)
        abbreviation = parse.opt(item, f"teams.{side}.team.abbreviation")
        if code is None and abbreviation in set(self.team_codes.values()):
            code = str(abbreviation)
        if code is None:
            raise Bad(f"teams.{side}.team.name", name, "unknown team (not in team_codes.csv)")
        return code


def _state(item: Any) -> str:
    coded = str(parse.at(item, "status.codedGameState"))
    detailed = str(parse.opt(item, "status.detailedState") or "")
    if coded in _CODED:
        return _CODED[coded]
    if detailed.startswith("Postponed"):
        return POSTPONED
    if detailed.startswith("Suspended"):
        return SUSPENDED
    return SCHEDULED if coded in _SCHEDULED else OTHER


def _probable(item: Any, side: str) -> Probable | None:
    """The side's probable pitcher; None when TBD (the key is absent)."""
    if parse.opt(item, f"teams.{side}.probablePitcher") is None:
        return None
    return Probable(
        pitcher_id=parse.integer(item, f"teams.{side}.probablePitcher.id", minimum=1),
        name=parse.opt(item, f"teams.{side}.probablePitcher.fullName"),
    )


def _starter(teams: Any, side: str) -> PitchingLine:
    pitchers = parse.at(teams, f"{side}.pitchers")
    if not isinstance(pitchers, list) or not pitchers:
        raise Bad(f"teams.{side}.pitchers", pitchers, "no pitcher listed")
    first = pitchers[0]
    player = parse.at(teams, f"{side}.players").get(f"ID{first}")
    if not isinstance(player, dict):
        raise Bad(f"teams.{side}.players.ID{first}", None, "starter missing from players")
    stats = parse.at(player, "stats.pitching")
    prefix = f"teams.{side}.players.ID{first}.stats.pitching"
    try:
        return PitchingLine(
            pitcher_id=parse.integer(player, "person.id", minimum=1),
            name=parse.opt(player, "person.fullName"),
            games_started=parse.opt_integer(stats, "gamesStarted") or 0,
            strikeouts=parse.integer(stats, "strikeOuts"),
            outs=parse.integer(stats, "outs"),
            batters_faced=parse.opt_integer(stats, "battersFaced"),
            pitches=parse.opt_integer(stats, "numberOfPitches"),
            walks=parse.opt_integer(stats, "baseOnBalls"),
            hits=parse.opt_integer(stats, "hits"),
            runs=parse.opt_integer(stats, "runs"),
        )
    except Bad as exc:
        path = exc.path if exc.path.startswith("person") else f"{prefix}.{exc.path}"
        raise Bad(path, exc.value, exc.reason) from None


def opt_side(data: Any, side: str) -> Any:
    """The raw JSON of one side of a box score (kept with a rejection)."""
    return parse.opt(data, f"teams.{side}")
