"""The ``schedule`` and ``results`` Cloud Functions in-process (functions-framework test
client) against the fixture API: a trigger publishes the day's slate; the night's trigger
takes yesterday's finals and grades; a source that stays down is a 500 (redelivered)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import functions_framework
import pytest
from pytest_httpserver import HTTPServer

from strikeouts.cloud.entry import Services
from strikeouts.cloud.gameday import GAMEDAY_ENTRIES, trigger_day
from strikeouts.devstack.push import push_body, push_headers
from strikeouts.names import GAME_SCHEDULE
from strikeouts.pipeline.clock import FakeClock
from strikeouts.pipeline.config import PipelineConfig
from strikeouts.pipeline.messages import validate
from strikeouts.settings import PROJECT_ROOT, Settings
from strikeouts.warehouse.duckdb_backend import DuckDBWarehouse

from .fixture_api import KEY, FixtureApi

pytestmark = pytest.mark.data

# 10:00 in New York on 2025-07-04 and 05:00 on 2025-07-05 (the night job, next morning)
MORNING = dt.datetime(2025, 7, 4, 14, tzinfo=dt.UTC)
NIGHT = dt.datetime(2025, 7, 5, 9, tzinfo=dt.UTC)


class Recorder:
    """A FlushingPublisher keeping what was flushed."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any], dict[str, str]]] = []
        self.pending: list[tuple[str, dict[str, Any], dict[str, str]]] = []

    def publish(
        self, topic: str, message: Mapping[str, Any], attributes: Mapping[str, str] | None = None
    ) -> str:
        self.pending.append((topic, dict(message), dict(attributes or {})))
        return str(len(self.pending))

    def publish_raw(
        self, topic: str, data: bytes, attributes: Mapping[str, str] | None = None
    ) -> str:
        return self.publish(topic, json.loads(data), attributes)

    def flush(self) -> list[str]:
        self.sent.extend(self.pending)
        self.pending.clear()
        return [str(i) for i in range(len(self.sent))]


Invoke = Callable[..., tuple[int, "Recorder"]]


@pytest.fixture
def invoke(
    httpserver: HTTPServer,
    api: FixtureApi,
    warehouse: DuckDBWarehouse,
    champions: Path,
    data_dir: Path,
    tmp_path: Path,
) -> Iterator[Invoke]:
    settings = Settings(
        data_dir=data_dir,
        model_store=str(champions),
        state_dir=tmp_path,
        sources={
            "statsapi_url": httpserver.url_for(""),
            "odds_api_url": httpserver.url_for(""),
            "odds_api_key": KEY,
            "attempts": 2,
            "backoff_max_seconds": 0.05,
        },
    )
    touched = []

    def call(
        name: str, at: dt.datetime, config: PipelineConfig | None = None
    ) -> tuple[int, Recorder]:
        recorder = Recorder()
        services = Services(
            settings=settings,
            publisher=recorder,
            config=config or PipelineConfig(max_delivery_attempts=3),
            clock=FakeClock(at),
            warehouse_factory=lambda _: warehouse,
        )
        entry = GAMEDAY_ENTRIES[name]
        touched.append((entry, (entry._services_factory, entry._build)))
        entry.rebind(lambda: services, None)
        main = PROJECT_ROOT / "functions" / name / "main.py"
        client = functions_framework.create_app(name, str(main), "cloudevent").test_client()
        trigger = {
            "schema_version": 1,
            "message_type": "gameday-trigger",
            "scheduled_at": at.isoformat().replace("+00:00", "Z"),
        }
        body = push_body(json.dumps(trigger).encode(), {}, f"m-{name}-{len(touched)}")
        response = client.post(
            "/",
            headers=push_headers("gameday-" + name, body["message"]["messageId"]),
            data=json.dumps(body),
        )
        return response.status_code, recorder

    yield call
    for entry, (factory, build) in touched:
        entry.rebind(factory, build)


def test_trigger_day_is_the_league_date() -> None:
    settings = Settings()
    late = {"scheduled_at": "2025-07-05T03:30:00Z"}  # 23:30 on the 4th in New York
    assert trigger_day(late, settings, NIGHT, 0) == dt.date(2025, 7, 4)
    assert trigger_day(late, settings, NIGHT, -1) == dt.date(2025, 7, 3)
    assert trigger_day({"game_date": "2025-06-01"}, settings, NIGHT, -1) == dt.date(2025, 6, 1)


def test_schedule_publishes_the_slate_and_results_grade_the_night(
    invoke: Invoke,
    api: FixtureApi,
    warehouse: DuckDBWarehouse,
) -> None:
    status, recorder = invoke("schedule", MORNING)
    assert status == 200
    [(topic, event, attributes)] = recorder.sent
    assert topic == GAME_SCHEDULE and attributes["run_id"] == event["run_id"]
    validate("game-schedule", event)
    assert event["game_date"] == "2025-07-04" and len(event["games"]) == 15
    assert sum("line" in s for g in event["games"] for s in g["starters"]) >= 20
    api.final.add("2025-07-04")
    status, _ = invoke("results", NIGHT)
    assert status == 200
    starts = warehouse.query("SELECT * FROM pitcher_starts WHERE game_date = '2025-07-04'")
    assert len(starts) == 30 and set(starts["source"]) == {"statsapi"}
    fetches = warehouse.query("SELECT purpose, status FROM source_fetches ORDER BY fetched_at")
    assert set(fetches["status"]) == {"ok"} and "results" in set(fetches["purpose"])


def test_a_source_down_is_a_500_with_a_recorded_failed_fetch(
    invoke: Invoke,
    api: FixtureApi,
    warehouse: DuckDBWarehouse,
) -> None:
    api.status["/api/v1/schedule"] = 503
    status, recorder = invoke("schedule", MORNING)
    assert status == 500 and recorder.sent == []
    failed = warehouse.query("SELECT * FROM source_fetches WHERE status = 'failed'")
    assert list(failed["purpose"]) == ["schedule"] and "HTTP 503" in failed["error"].iloc[0]


def test_schedule_asks_only_the_rollout_phase_systems(invoke: Invoke) -> None:
    """Phase 1: the slate expects v1_baseline alone, so the ensemble never waits for the other."""
    phase_1 = PipelineConfig(expected_systems=["v1_baseline"], write_ensemble=False)
    status, recorder = invoke("schedule", MORNING, phase_1)
    assert status == 200
    [(_, event, _)] = recorder.sent
    assert event["expected_systems"] == ["v1_baseline"]


def test_schedule_marks_the_injured_starter_and_reuses_its_cache(
    invoke: Invoke, api: FixtureApi, tmp_path: Path
) -> None:
    """The function reads the rosters through its cache (here STATE_DIR/injured-list): the
    injured starter is marked in the published event, the next slate asks the API nothing."""
    api.rosters = Path(__file__).parent / "rosters"
    status, recorder = invoke("schedule", MORNING)
    assert status == 200
    [(_, event, _)] = recorder.sent
    starters = {s["pitcher_id"]: s for g in event["games"] for s in g["starters"]}
    assert starters[434378]["injured_list"] is True  # Verlander (the fixture's made-up injury)
    assert sum(s["injured_list"] is False for s in starters.values()) == 29
    assert len(list((tmp_path / "injured-list").glob("*.json"))) == 30
    calls = sum("/roster" in c for c in api.calls)
    status, recorder = invoke("schedule", MORNING + dt.timedelta(hours=2))
    assert status == 200 and sum("/roster" in c for c in api.calls) == calls
