"""Game-day fixtures: a warehouse holding only the history before the fixture dates, and the
local fixture API with clients pointed at it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from strikeouts.data.teams import TeamCodes, load_team_codes
from strikeouts.sources.http import RetryPolicy
from strikeouts.sources.odds import OddsApiClient
from strikeouts.sources.statsapi import StatsApiClient
from strikeouts.warehouse.duckdb_backend import DuckDBWarehouse

from .fixture_api import KEY, FixtureApi

D1 = dt.date(2025, 7, 4)
D2 = dt.date(2025, 7, 5)
FAST = RetryPolicy(
    timeout_seconds=2.0,
    attempts=3,
    total_seconds=5.0,
    backoff_initial_seconds=0.01,
    backoff_max_seconds=0.02,
)
# what the fixture dates need from the session's ingest: everything strictly before D1
CUT_TABLES = ("games", "pitcher_starts", "prop_lines")


@pytest.fixture(scope="session")
def history_path(ingested: DuckDBWarehouse, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse file with the real history before D1 (as on the morning of D1)."""
    path = tmp_path_factory.mktemp("gameday-history") / "warehouse.duckdb"
    copy = DuckDBWarehouse(path)
    try:
        copy.replace_table("players", ingested.query("SELECT * FROM players"))
        for table in CUT_TABLES:
            rows = ingested.query(f"SELECT * FROM {table} WHERE game_date < @d", {"d": D1})
            copy.replace_table(table, rows)
    finally:
        copy.close()
    return path


@pytest.fixture
def warehouse(history_path: Path, tmp_path: Path) -> Iterator[DuckDBWarehouse]:
    """A fresh copy of the history for one test."""
    path = tmp_path / "warehouse.duckdb"
    path.write_bytes(history_path.read_bytes())
    wh = DuckDBWarehouse(path)
    yield wh
    wh.close()


@pytest.fixture(scope="session")
def teams(data_dir: Path) -> TeamCodes:
    return load_team_codes(data_dir)


@pytest.fixture
def api(httpserver: HTTPServer, live_fixtures: Path) -> FixtureApi:
    fake = FixtureApi(live_fixtures)
    fake.install(httpserver)
    return fake


@pytest.fixture
def statsapi(httpserver: HTTPServer, api: FixtureApi, teams: TeamCodes) -> Iterator[StatsApiClient]:
    client = StatsApiClient(httpserver.url_for(""), teams.from_full_name, FAST)
    yield client
    client.close()


@pytest.fixture
def odds(httpserver: HTTPServer, api: FixtureApi) -> Iterator[OddsApiClient]:
    client = OddsApiClient(httpserver.url_for(""), KEY, FAST)
    yield client
    client.close()
