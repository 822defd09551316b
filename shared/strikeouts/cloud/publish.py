"""Publishing game-schedule events and ticks through Pub/Sub (what a scheduler would do).

The event is the one the embedded runner builds (``runtime.schedule``): the same slate, the
same opening lines, the same expected systems, so both paths predict the same pitcher-games.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from strikeouts.cloud.context import new_trace_id, set_trace_id
from strikeouts.cloud.pubsub import PubSubPublisher
from strikeouts.models.systems import SYSTEMS
from strikeouts.names import ENSEMBLE_TICKS, GAME_SCHEDULE
from strikeouts.pipeline.clock import to_iso
from strikeouts.pipeline.messages import SCHEMA_VERSION, validate
from strikeouts.pipeline.payloads import EnsembleTick, GameScheduleEvent
from strikeouts.runtime.schedule import ScheduleError, schedule_event, slate
from strikeouts.warehouse.base import Warehouse


def build_schedule_event(
    warehouse: Warehouse,
    game_date: dt.date,
    run_id: str,
    run_created_at: dt.datetime,
    *,
    expected_systems: Sequence[str] | None = None,
    deadline_seconds: float | None = None,
) -> GameScheduleEvent:
    """The validated game-schedule event of ``game_date`` (ScheduleError when it has no games)."""
    rows = slate(warehouse, game_date, game_date)
    if rows.empty:
        raise ScheduleError(f"game_date={game_date}: no games with starters in the warehouse")
    event = schedule_event(
        rows.to_dict("records"),
        game_date,
        run_id,
        run_created_at,
        list(expected_systems or SYSTEMS),
    )
    if deadline_seconds is not None:
        event["deadline"] = to_iso(run_created_at + dt.timedelta(seconds=deadline_seconds))
        validate("game-schedule", event)
    return event


def publish_schedule(publisher: PubSubPublisher, event: GameScheduleEvent) -> str:
    """Publish one schedule event under a new trace; returns its Pub/Sub message id."""
    set_trace_id(new_trace_id())
    publisher.publish(GAME_SCHEDULE, event, {"run_id": event["run_id"]})
    return publisher.flush()[0]


def tick_message(now: dt.datetime) -> EnsembleTick:
    """The ensemble tick the scheduler sends at ``now``."""
    return {
        "schema_version": SCHEMA_VERSION,
        "message_type": "ensemble-tick",
        "scheduled_at": to_iso(now),
    }


def publish_tick(publisher: PubSubPublisher, now: dt.datetime) -> str:
    """Publish one ensemble tick; returns its Pub/Sub message id."""
    publisher.publish(ENSEMBLE_TICKS, tick_message(now))
    return publisher.flush()[0]
