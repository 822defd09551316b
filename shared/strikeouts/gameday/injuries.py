"""The injured list of a slate's teams: each team's 40-man roster statuses, through a cache.

Invariants:

- A team's roster is asked of the source at most once per ``ttl`` for a date: a cached copy
  fetched for the same date less than ``ttl`` ago is used without a request (``cached``).
- When the source fails for a team, the team's last cached copy is used, whatever its age or
  date, and that is logged with its age (``stale``). With no cached copy at all the team is
  ``missing``: its starters go on the slate without the injured list and the caller says so
  (a warning, and ``injured_list_unknown`` on their rows). The slate never fails for it.
- Once the source is down (its retries spent) it is not asked again for the other teams of
  the same slate, so a dead source costs one retry budget, not one per team.
- The cache is best effort: one that cannot be read or written is logged and treated as
  empty; it never stops a slate. One object per team (``TEAM_ID.json``) under the cache's
  location (the state bucket's ``injured-list/`` prefix, or ``STATE_DIR/injured-list``).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from strikeouts.logs import get_logger
from strikeouts.models.ports import ObjectBackend
from strikeouts.models.refs import ModelStoreError
from strikeouts.sources.http import SourceDown, SourceError
from strikeouts.sources.ports import Problem, RosterSource
from strikeouts.sources.rosters import is_injured

log = get_logger(__name__)

FRESH = "fresh"
CACHED = "cached"
STALE = "stale"
MISSING = "missing"
_CACHE_ERRORS = (ModelStoreError, OSError, ValueError, KeyError, TypeError)


@dataclass(frozen=True)
class TeamInjuries:
    """One team's injured players (MLBAM id → status) and where that knowledge came from."""

    team_id: int
    source: str
    """``fresh`` (fetched now), ``cached`` (within the TTL), ``stale`` or ``missing``."""
    day: dt.date | None = None
    """The date the roster was asked for (a stale copy may be of an earlier date)."""
    fetched_at: dt.datetime | None = None
    injured: dict[int, str] = field(default_factory=dict)


@dataclass
class InjuredList:
    """The injured list of one slate's teams, the failed fetches and the unparsable entries."""

    day: dt.date
    teams: dict[int, TeamInjuries] = field(default_factory=dict)
    errors: list[SourceError] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def status(self, team_id: int | None, pitcher_id: int) -> bool | None:
        """Whether the starter is on the injured list; None when his team's list is unknown."""
        team = self.teams.get(team_id) if team_id is not None else None
        if team is None or team.source == MISSING:
            return None
        return pitcher_id in team.injured

    def teams_by_source(self, source: str) -> list[int]:
        """Team ids whose list came from ``source`` (``fresh``, ``cached``, ...)."""
        return sorted(t for t, v in self.teams.items() if v.source == source)


def read_injured_list(
    day: dt.date,
    team_ids: Iterable[int],
    source: RosterSource,
    cache: ObjectBackend | None,
    now: dt.datetime,
    ttl: dt.timedelta,
) -> InjuredList:
    """The injured list of ``team_ids`` on ``day``: cached within ``ttl``, else fetched, else
    the stale cache, else missing (see the module's invariants)."""
    found = InjuredList(day)
    down: SourceDown | None = None
    for team_id in sorted(set(team_ids)):
        cached = _load(cache, team_id)
        if cached is not None and cached.day == day and now - _at(cached) < ttl:
            found.teams[team_id] = TeamInjuries(
                team_id, CACHED, cached.day, cached.fetched_at, cached.injured
            )
            continue
        try:
            if down is not None:
                raise down
            roster = source.roster(team_id, day)
        except SourceError as exc:
            if isinstance(exc, SourceDown):
                down = exc
            if exc not in found.errors:
                found.errors.append(exc)
            found.teams[team_id] = _fallback(team_id, cached, now, exc)
            continue
        injured = {
            e.person_id: e.status_description or e.status_code
            for e in roster.entries
            if is_injured(e.status_code)
        }
        found.problems.extend(roster.problems)
        fresh = TeamInjuries(team_id, FRESH, day, now, injured)
        _store(cache, fresh)
        found.teams[team_id] = fresh
    return found


def _at(team: TeamInjuries) -> dt.datetime:
    return team.fetched_at or dt.datetime.min.replace(tzinfo=dt.UTC)


def _fallback(
    team_id: int, cached: TeamInjuries | None, now: dt.datetime, exc: SourceError
) -> TeamInjuries:
    if cached is None:
        log.warning(
            "injured list unavailable: the source failed and nothing is cached",
            team_id=team_id,
            error=str(exc),
        )
        return TeamInjuries(team_id, MISSING)
    log.warning(
        "injured list from a stale cache: the source failed",
        team_id=team_id,
        cached_for=str(cached.day),
        age_hours=round((now - _at(cached)).total_seconds() / 3600, 2),
        error=str(exc),
    )
    return TeamInjuries(team_id, STALE, cached.day, cached.fetched_at, cached.injured)


def _key(team_id: int) -> str:
    return f"{int(team_id)}.json"


def _load(cache: ObjectBackend | None, team_id: int) -> TeamInjuries | None:
    if cache is None:
        return None
    try:
        blob = cache.read(_key(team_id))
        if blob is None:
            return None
        doc = json.loads(blob.data)
        return TeamInjuries(
            team_id=int(doc["team_id"]),
            source=CACHED,
            day=dt.date.fromisoformat(doc["date"]),
            fetched_at=dt.datetime.fromisoformat(doc["fetched_at"]),
            injured={int(k): str(v) for k, v in doc["injured"].items()},
        )
    except _CACHE_ERRORS as exc:
        log.warning("injured-list cache unreadable", key=cache.uri(_key(team_id)), error=str(exc))
        return None


def _store(cache: ObjectBackend | None, team: TeamInjuries) -> None:
    if cache is None:
        return
    doc = {
        "team_id": team.team_id,
        "date": str(team.day),
        "fetched_at": _at(team).isoformat(),
        "injured": {str(k): v for k, v in sorted(team.injured.items())},
    }
    data = json.dumps(doc, sort_keys=True).encode()
    key = _key(team.team_id)
    try:
        current = cache.read(key)
        # a concurrent writer's copy is as fresh as ours: losing the swap loses nothing
        cache.swap(key, data, current.token if current else None)
    except _CACHE_ERRORS as exc:
        log.warning("injured-list cache not written", key=cache.uri(key), error=str(exc))
