"""The two game-day Cloud Functions: ``schedule`` (slates) and ``results`` (night).

Both are triggered by Cloud Scheduler through a Pub/Sub topic with a ``gameday-trigger``
message; the game date is the trigger's ``game_date``, else its ``scheduled_at`` (or now) in
the league's time zone — today for ``schedule``, yesterday for ``results``. A source that
stays down raises (a transient failure: Pub/Sub redelivers, then dead-letters) after its
failed fetch was recorded; nothing of a half-fetched day is written or published. The
injured list is the exception: ``schedule`` reads it through its cache in the state bucket
and, when the Stats API's rosters fail, goes on with a stale copy or without it (logged,
and noted on the starters' rows).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from strikeouts.adapters import injured_list_cache_location, open_injured_list_cache
from strikeouts.cloud.entry import Entry, Services, instance_services
from strikeouts.cloud.functions import open_function_model_store
from strikeouts.data.teams import load_team_codes
from strikeouts.gameday.daily import live_slate, live_sources, results_and_grades
from strikeouts.logs import get_logger
from strikeouts.models.ports import ObjectBackend
from strikeouts.models.refs import GCS_PREFIX
from strikeouts.names import CHAMPION, GAME_SCHEDULE
from strikeouts.pipeline.clock import from_iso
from strikeouts.pipeline.delivery import Handler
from strikeouts.pipeline.messages import Payload, decode
from strikeouts.pipeline.payloads import GamedayTrigger
from strikeouts.settings import Settings

log = get_logger(__name__)
GAMEDAY_FUNCTIONS = ("schedule", "results")


def trigger_day(
    trigger: GamedayTrigger, settings: Settings, now: dt.datetime, offset: int
) -> dt.date:
    """The game date a trigger asks for: its ``game_date``, else its time's date + ``offset``."""
    if trigger.get("game_date"):
        return dt.date.fromisoformat(trigger["game_date"])
    fired = from_iso(trigger["scheduled_at"]) if trigger.get("scheduled_at") else now
    local = fired.astimezone(ZoneInfo(settings.sources.league_time_zone)).date()
    return local + dt.timedelta(days=offset)


def open_function_injury_cache(settings: Settings) -> ObjectBackend:
    """The injured-list cache, on Cloud Storage through the settings' client when ``gs://``."""
    if injured_list_cache_location(settings).startswith(GCS_PREFIX):
        from strikeouts.cloud.clients import storage_client

        return open_injured_list_cache(settings, client=storage_client(settings))
    return open_injured_list_cache(settings)


def build_schedule(services: Services) -> Handler:
    """Live slate of the day → the game-schedule event, published for fanout."""
    settings = services.settings
    teams = load_team_codes(settings.data_dir)
    store = open_function_model_store(settings)
    injury_cache = open_function_injury_cache(settings)

    def handle(payload: Payload) -> None:
        trigger = decode("gameday-trigger", payload)
        now = services.clock.now()
        day = trigger_day(trigger, settings, now, 0)
        # the rollout phase's systems (STRIKEOUTS_PIPELINE_EXPECTED_SYSTEMS), not every known one
        expected = list(services.config.expected_systems)
        versions = {s: store.resolve(s, CHAMPION).version for s in expected}
        with live_sources(settings, teams, injury_cache=injury_cache) as sources:
            built = live_slate(day, services.warehouse, teams, sources, now, versions, expected)
        if not built.event["games"]:
            log.info("no pre-game game to predict", game_date=str(day))
            return
        services.publisher.publish(GAME_SCHEDULE, built.event, {"run_id": built.event["run_id"]})
        log.info(
            "slate published",
            run_id=built.event["run_id"],
            game_date=str(day),
            games=built.slate.games,
            starters=built.slate.starters,
            lined=built.slate.lined,
            injured=built.slate.injured,
            injury_unknown=built.slate.injury_unknown,
        )
        if built.slate.injury_unknown:
            log.warning(
                "slate published without the injured list of some starters",
                run_id=built.event["run_id"],
                game_date=str(day),
                starters=built.slate.injury_unknown,
            )

    return handle


def build_results(services: Services) -> Handler:
    """Finals of the day before into pitcher_starts, then the grades of its predictions."""
    settings = services.settings
    teams = load_team_codes(settings.data_dir)

    def handle(payload: Payload) -> None:
        trigger = decode("gameday-trigger", payload)
        now = services.clock.now()
        day = trigger_day(trigger, settings, now, -1)
        with live_sources(settings, teams, lines=False) as sources:
            found, grades = results_and_grades(day, services.warehouse, teams, sources, now)
        log.info(
            "results taken and graded",
            game_date=str(day),
            starts=found.starts if found else 0,
            rejected=found.rejected if found else 0,
            graded=grades.graded,
            pending=grades.pending,
        )

    return handle


schedule = Entry("schedule", build_schedule, instance_services)
results = Entry("results", build_results, instance_services)
GAMEDAY_ENTRIES: dict[str, Entry] = {"schedule": schedule, "results": results}
