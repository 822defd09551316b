"""Live-source fixtures: the shared fixture responses and clients pointed at a local server."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from strikeouts.data.teams import load_team_codes
from strikeouts.sources.http import RetryPolicy
from strikeouts.sources.odds import OddsApiClient
from strikeouts.sources.statsapi import StatsApiClient

FAST = RetryPolicy(
    timeout_seconds=0.5,
    attempts=4,
    total_seconds=5.0,
    backoff_initial_seconds=0.01,
    backoff_max_seconds=0.05,
)


@pytest.fixture
def load(live_fixtures: Path) -> Callable[[str], Any]:
    """A fresh copy of one fixture file (``2025-07-04/statsapi/schedule_morning.json``)."""

    def read(relative: str) -> Any:
        return copy.deepcopy(json.loads((live_fixtures / relative).read_text()))

    return read


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture(scope="session")
def team_codes(data_dir: Path) -> dict[str, str]:
    return load_team_codes(data_dir).from_full_name


@pytest.fixture
def statsapi(
    httpserver: HTTPServer, sleeps: list[float], team_codes: dict[str, str]
) -> Iterator[StatsApiClient]:
    client = StatsApiClient(httpserver.url_for(""), team_codes, FAST)
    client.http._sleep = sleeps.append
    yield client
    client.close()


@pytest.fixture
def odds(httpserver: HTTPServer, sleeps: list[float]) -> Iterator[OddsApiClient]:
    client = OddsApiClient(httpserver.url_for(""), "SECRET-KEY-123", FAST)
    client.http._sleep = sleeps.append
    yield client
    client.close()
