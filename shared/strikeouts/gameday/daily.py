"""The daily loop: last night's results, their grades, then today's slate.

Invariant: each step finishes before the next starts and a source that stays down stops the
loop at that step with a recorded failed fetch (``source_fetches``), so there is never a
slate built on half of the morning's data. The injured list is the one exception: it degrades
(cache, stale cache, then none, said on the rows) instead of stopping the slate. Results for D−1 land before D's slate is built,
and features for D read only games before D, so D's predictions see D−1 and never D.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from strikeouts.data.teams import TeamCodes
from strikeouts.gameday.games import game_ids
from strikeouts.gameday.grading import GradeReport, grade_date
from strikeouts.gameday.injuries import FRESH, InjuredList, read_injured_list
from strikeouts.gameday.lines import LinesReport, snapshot_lines
from strikeouts.gameday.record import record_fetch, record_problems
from strikeouts.gameday.results import ResultsReport, intake_results
from strikeouts.gameday.slate import SlateReport, live_event
from strikeouts.models.ports import ObjectBackend
from strikeouts.pipeline.payloads import GameScheduleEvent
from strikeouts.settings import Settings
from strikeouts.sources.http import RetryPolicy, SourceError
from strikeouts.sources.odds import OddsApiClient
from strikeouts.sources.ports import (
    SCHEDULED,
    GameSource,
    LinesSource,
    RosterSource,
    ScheduledGame,
)
from strikeouts.sources.rosters import StatsApiRosters
from strikeouts.sources.statsapi import StatsApiClient
from strikeouts.warehouse.base import Warehouse


@dataclass
class LiveSources:
    """The live sources (lines optional: without them the slate has no lines; rosters
    optional: without them the slate carries no injured list)."""

    games: GameSource
    lines: LinesSource | None = None
    lines_window: dt.timedelta = dt.timedelta(hours=6)
    rosters: RosterSource | None = None
    injury_cache: ObjectBackend | None = None
    injury_ttl: dt.timedelta = dt.timedelta(hours=6)


@dataclass(frozen=True)
class LiveSlate:
    """A live game-schedule event and what went into it."""

    event: GameScheduleEvent
    slate: SlateReport
    lines: LinesReport | None
    injuries: InjuredList | None = None


@contextmanager
def recorded(
    warehouse: Warehouse, source: str, purpose: str, day: dt.date, now: dt.datetime
) -> Iterator[None]:
    """Record a failed fetch in ``source_fetches`` when the block raises a source error."""
    try:
        yield
    except SourceError as exc:
        record_fetch(warehouse, source=source, purpose=purpose, day=day, now=now, error=exc)
        raise


def results_and_grades(
    day: dt.date,
    warehouse: Warehouse,
    teams: TeamCodes,
    sources: LiveSources | None,
    now: dt.datetime,
) -> tuple[ResultsReport | None, GradeReport]:
    """Live: fetch ``day``'s finals, then grade; offline: grade from the warehouse's starts."""
    report = None
    states: dict[str, str] = {}
    if sources is not None:
        with recorded(warehouse, "statsapi", "results", day, now):
            report = intake_results(day, sources.games, warehouse, teams, now)
        record_fetch(
            warehouse,
            source="statsapi",
            purpose="results",
            day=day,
            now=now,
            items=report.starts,
            rejected=report.rejected,
        )
        states = report.states
    return report, grade_date(warehouse, day, states, now)


def live_slate(
    day: dt.date,
    warehouse: Warehouse,
    teams: TeamCodes,
    sources: LiveSources,
    now: dt.datetime,
    model_versions: dict[str, str],
    expected_systems: Sequence[str],
) -> LiveSlate:
    """Fetch the probables and a lines snapshot of ``day`` and build its event."""
    with recorded(warehouse, "statsapi", "schedule", day, now):
        schedule = sources.games.schedule(day)
    ids = game_ids(warehouse, day, schedule.games, teams)
    rejected = record_problems(warehouse, schedule.problems, "pitcher_starts", now)
    record_fetch(
        warehouse,
        source="statsapi",
        purpose="schedule",
        day=day,
        now=now,
        items=len(schedule.games),
        rejected=rejected,
    )
    lines = None
    if sources.lines is not None:
        with recorded(warehouse, "odds-api", "lines", day, now):
            lines = snapshot_lines(
                schedule.games, ids, sources.lines, warehouse, teams, sources.lines_window, now
            )
        record_fetch(
            warehouse,
            source="odds-api",
            purpose="lines",
            day=day,
            now=now,
            items=lines.lines,
            rejected=lines.rejected,
            requests_remaining=getattr(sources.lines, "requests_remaining", None),
        )
    injuries = injured_list(day, schedule.games, warehouse, sources, now)
    event, slate = live_event(
        day, schedule.games, ids, warehouse, now, model_versions, expected_systems, injuries
    )
    return LiveSlate(event, slate, lines, injuries)


def injured_list(
    day: dt.date,
    games: Sequence[ScheduledGame],
    warehouse: Warehouse,
    sources: LiveSources,
    now: dt.datetime,
) -> InjuredList | None:
    """The injured list of the teams of ``day``'s pre-game games with a probable starter
    (None without a roster source); a failed roster fetch is recorded in ``source_fetches``
    and never raises."""
    if sources.rosters is None:
        return None
    team_ids = [
        team_id
        for g in games
        if g.state == SCHEDULED
        for team_id, probable in (
            (g.away_team_id, g.away_probable),
            (g.home_team_id, g.home_probable),
        )
        if team_id is not None and probable is not None
    ]
    found = read_injured_list(
        day, team_ids, sources.rosters, sources.injury_cache, now, sources.injury_ttl
    )
    rejected = record_problems(warehouse, found.problems, "injured_list", now)
    fetched = len(found.teams_by_source(FRESH))
    if fetched or found.errors:
        record_fetch(
            warehouse,
            source="statsapi",
            purpose="injured_list",
            day=day,
            now=now,
            error=found.errors[0] if found.errors else None,
            items=fetched,
            rejected=rejected,
        )
    return found


def source_policy(settings: Settings) -> RetryPolicy:
    """The retry policy of every live-source call, from the settings."""
    return RetryPolicy(
        timeout_seconds=settings.sources.timeout_seconds,
        attempts=settings.sources.attempts,
        total_seconds=settings.sources.total_seconds,
        backoff_max_seconds=settings.sources.backoff_max_seconds,
    )


@contextmanager
def live_sources(
    settings: Settings,
    teams: TeamCodes,
    lines: bool = True,
    injury_cache: ObjectBackend | None = None,
) -> Iterator[LiveSources]:
    """Clients for the sources from the settings (lines only when a key is configured; the
    rosters, for the injured list, with the slate's sources, through ``injury_cache``)."""
    games = StatsApiClient(
        settings.sources.statsapi_url, teams.from_full_name, source_policy(settings)
    )
    rosters = (
        StatsApiRosters(settings.sources.statsapi_url, source_policy(settings)) if lines else None
    )
    key = settings.sources.odds_api_key.get_secret_value() if settings.sources.odds_api_key else ""
    odds = (
        OddsApiClient(settings.sources.odds_api_url, key, source_policy(settings))
        if lines and key
        else None
    )
    try:
        yield LiveSources(
            games,
            odds,
            dt.timedelta(hours=settings.sources.odds_window_hours),
            rosters,
            injury_cache,
            dt.timedelta(hours=settings.sources.injured_list_ttl_hours),
        )
    finally:
        games.close()
        for client in (odds, rosters):
            if client is not None:
                client.close()
