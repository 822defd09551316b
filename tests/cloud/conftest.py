"""Fixtures for the cloud path: in-process function apps with test services, the Pub/Sub
emulator (session), and the Cloud Storage emulator from the root conftest."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import functions_framework
import pytest
from pipeline.doubles import two_system_config

from strikeouts.cloud.bigquery_warehouse import BigQueryWarehouse
from strikeouts.cloud.entry import Services
from strikeouts.cloud.functions import entries, function_environment, function_folder
from strikeouts.devstack.emulators import ServerProcess
from strikeouts.pipeline.clock import FakeClock
from strikeouts.runtime.state_store import DuckDBStateStore
from strikeouts.settings import PROJECT_ROOT, Settings, get_settings
from strikeouts.warehouse.duckdb_backend import DuckDBWarehouse

from .doubles import FlushRecorder
from .stack_session import cloud, info, merger, publisher, stack_settings

__all__ = ["cloud", "info", "merger", "publisher", "stack_settings"]  # session stack fixtures

FUNCTIONS = PROJECT_ROOT / "functions"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def recorder() -> FlushRecorder:
    return FlushRecorder()


@pytest.fixture
def warehouse(tmp_path: Path) -> Iterator[DuckDBWarehouse]:
    wh = DuckDBWarehouse(tmp_path / "warehouse.duckdb")
    yield wh
    wh.close()


@pytest.fixture
def services(
    recorder: FlushRecorder, clock: FakeClock, warehouse: DuckDBWarehouse, tmp_path: Path
) -> Services:
    state = DuckDBStateStore(tmp_path / "state.duckdb")
    return Services(
        settings=Settings(state_dir=tmp_path),
        publisher=recorder,
        config=two_system_config(max_delivery_attempts=3),
        clock=clock,
        warehouse_factory=lambda _: warehouse,
        state_factory=lambda _: state,
    )


AppFactory = Callable[..., Any]


@pytest.fixture
def function_client(services: Services, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppFactory]:
    """A test client of function ``name``'s ``functions/<folder>/main.py`` (a system's: the
    one predict_system entry, told its system as deployed) whose entry uses the test services."""
    touched = []

    def make(name: str, build: Any = None) -> Any:
        entry = entries()[name]
        original = (entry._services_factory, entry._build)
        touched.append((entry, original))
        entry.rebind(lambda: services, build)
        for key, value in function_environment(name).items():
            monkeypatch.setenv(key, value)
        get_settings.cache_clear()
        folder = function_folder(name)
        app = functions_framework.create_app(
            folder, str(FUNCTIONS / folder / "main.py"), "cloudevent"
        )
        return app.test_client()

    yield make
    for entry, (factory, build) in touched:
        entry.rebind(factory, build)
    get_settings.cache_clear()


@pytest.fixture
def fresh_dataset(bigquery_emulator: ServerProcess) -> Iterator[BigQueryWarehouse]:
    """A BigQuery warehouse on a dataset of its own, empty before and dropped after (staging
    counts see no other test's rows). The name is the same every time, so the emulator
    translates each table's and view's SQL once per session instead of once per test."""
    warehouse = BigQueryWarehouse(
        project="cloud-test", dataset="t_fresh", endpoint=bigquery_emulator.endpoint, timeout=30.0
    )
    drop = functools.partial(
        warehouse.client.delete_dataset, "t_fresh", delete_contents=True, not_found_ok=True
    )
    drop()
    yield warehouse
    drop()
    warehouse.close()
