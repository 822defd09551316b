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

from .fixture_api import KEY, FixtureApi, install

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
    return install(FixtureApi(live_fixtures), httpserver)


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


@pytest.fixture(scope="session")
def champions(history_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model store whose champions were trained on the history before D1 only."""
    from strikeouts.adapters import open_model_store
    from strikeouts.models.service import ensure_champions
    from strikeouts.settings import Settings

    path = tmp_path_factory.mktemp("gameday-models")
    history = DuckDBWarehouse(history_path)
    try:
        ensure_champions(history, open_model_store(Settings(model_store=str(path))), D1)
    finally:
        history.close()
    return path


@pytest.fixture
def cli_env(
    httpserver: HTTPServer, api: FixtureApi, champions: Path, tmp_path: Path, history_path: Path
) -> dict[str, str]:
    """The CLI's environment: the fixture API, a fresh warehouse copy, the champions."""
    path = tmp_path / "cli-warehouse.duckdb"
    path.write_bytes(history_path.read_bytes())
    return {
        "STRIKEOUTS_WAREHOUSE": str(path),
        "STRIKEOUTS_MODEL_STORE": str(champions),
        "STRIKEOUTS_STATE_DIR": str(tmp_path / "state"),
        "STRIKEOUTS_STATSAPI_URL": httpserver.url_for(""),
        "STRIKEOUTS_ODDS_API_URL": httpserver.url_for(""),
        "STRIKEOUTS_ODDS_API_KEY": KEY,
        "STRIKEOUTS_SOURCE_ATTEMPTS": "2",
        "STRIKEOUTS_SOURCE_BACKOFF_MAX_SECONDS": "0.05",
        "COLUMNS": "200",
    }
