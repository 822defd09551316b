"""Two game days on the local stack: the schedule and results functions behind the Pub/Sub
emulator, the live sources served by the local fixture API, BigQuery on bqemulator.

D's morning trigger → the slate's rows in the final table; D's night trigger → D's starts
and the grades of every row; D+1's slate is built on features that read D's starts.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cloud.stack_session import running_stack
from pytest_httpserver import HTTPServer

from strikeouts.cloud.bigquery_warehouse import BigQueryWarehouse
from strikeouts.cloud.pubsub import PubSubPublisher
from strikeouts.cloud.staging import open_merger
from strikeouts.devstack.stack import StackInfo
from strikeouts.features.history import History
from strikeouts.names import GAMEDAY_RESULTS, GAMEDAY_SCHEDULE
from strikeouts.settings import Settings
from strikeouts.warehouse.duckdb_backend import DuckDBWarehouse

from .conftest import D1, D2
from .fixture_api import KEY, FixtureApi

pytestmark = [pytest.mark.emulator, pytest.mark.slow, pytest.mark.data]

WAIT_SECONDS = 180.0
HISTORY_TABLES = ("players", "games", "pitcher_starts", "prop_lines")


@pytest.fixture
def stack(
    httpserver: HTTPServer, api: FixtureApi, history_path: Path, data_dir: Path, tmp_path: Path
) -> Iterator[StackInfo]:
    """A stack whose functions read features from bqemulator, loaded with the history."""
    settings = Settings(state_dir=tmp_path / "state")
    warehouse = f"bigquery://{settings.stack.gcp_project}/strikeouts"
    with running_stack(
        settings,
        feature_warehouse=history_path,
        train_end=D1,
        tick_seconds=0,
        function_env={"STRIKEOUTS_FEATURE_WAREHOUSE": warehouse},
        gameday_env={
            "STRIKEOUTS_STATSAPI_URL": httpserver.url_for(""),
            "STRIKEOUTS_ODDS_API_URL": httpserver.url_for(""),
            "STRIKEOUTS_ODDS_API_KEY": KEY,
            "STRIKEOUTS_DATA_DIR": str(data_dir),
            "STRIKEOUTS_SOURCE_ATTEMPTS": "2",
        },
    ) as info:
        yield info


def _wait(what: str, done: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if done():
            return
        time.sleep(1.0)
    pytest.fail(f"timed out after {WAIT_SECONDS:.0f} s waiting for {what}")


def _count(cloud: BigQueryWarehouse, sql: str, day: dt.date) -> int:
    return int(cloud.query(sql, {"d": day})["n"].iloc[0])


def test_two_game_days_on_the_stack(stack: StackInfo, api: FixtureApi, history_path: Path) -> None:
    settings = stack.settings()
    cloud = BigQueryWarehouse(
        project=stack.project, dataset=stack.dataset, endpoint=stack.bigquery_endpoint, timeout=60.0
    )
    history = DuckDBWarehouse(history_path)
    try:
        for table in HISTORY_TABLES:
            cloud.replace_table(table, history.query(f"SELECT * FROM {table}"))
    finally:
        history.close()
    merger = open_merger(settings, cloud)
    assert merger is not None
    publisher = PubSubPublisher.from_settings(settings)
    final_sql = (
        "SELECT COUNT(*) AS n FROM pitcher_strikeout_predictions_latest WHERE game_date = @d"
    )

    def trigger(topic: str, day: dt.date) -> None:
        message = {"schema_version": 1, "message_type": "gameday-trigger", "game_date": str(day)}
        publisher.publish(topic, message)
        publisher.flush()

    def slate_final(day: dt.date) -> Callable[[], bool]:
        def done() -> bool:
            merger.merge(wait=10.0)
            return _count(cloud, final_sql, day) >= 90

        return done

    trigger(GAMEDAY_SCHEDULE, D1)
    _wait(f"the {D1} slate's 90 rows in the final table", slate_final(D1))
    api.final.add(str(D1))
    trigger(GAMEDAY_RESULTS, D1)
    starts_sql = "SELECT COUNT(*) AS n FROM pitcher_starts WHERE game_date = @d"
    grades_sql = "SELECT COUNT(*) AS n FROM prediction_grades WHERE game_date = @d"
    _wait(f"{D1}'s grades", lambda: _count(cloud, grades_sql, D1) >= 90)
    assert _count(cloud, starts_sql, D1) == 30
    grades = cloud.query("SELECT * FROM prediction_grades WHERE game_date = @d", {"d": D1})
    starts = cloud.query("SELECT * FROM pitcher_starts WHERE game_date = @d", {"d": D1})
    joined = grades.merge(starts, on=["game_id", "pitcher_id"])
    assert len(joined) > 0 and (joined["actual_strikeouts"] == joined["strikeouts"]).all()
    # D+1: the features the fanout reads (FEATURE_WAREHOUSE = bqemulator) now hold D
    seen = History.load(cloud, before=D2)
    assert int((seen.starts["game_date"] == str(D1)).sum()) == 30
    trigger(GAMEDAY_SCHEDULE, D2)
    _wait(f"the {D2} slate's 90 rows in the final table", slate_final(D2))
    fetches = cloud.query("SELECT purpose, status FROM source_fetches")
    assert set(fetches["status"]) == {"ok"}
    assert {"schedule", "lines", "results"} <= set(fetches["purpose"])
    cloud.close()
