"""Backend-parametrized warehouse fixtures: every port test runs on DuckDB and on bqemulator."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest

from strikeouts.devstack.emulators import ServerProcess
from strikeouts.devstack.emulators.bigquery import DEFAULT_PROJECT
from strikeouts.warehouse import Warehouse
from strikeouts.warehouse.duckdb_backend import DuckDBWarehouse

BACKENDS = ["duckdb", pytest.param("bigquery", marks=pytest.mark.emulator)]

OpenWarehouse = Callable[[str], Warehouse]
EMULATOR = pytest.StashKey[ServerProcess]()


@pytest.fixture
def open_backend(request: pytest.FixtureRequest) -> Iterator[OpenWarehouse]:
    """Opens a fresh, empty warehouse of a named backend (a new dataset on the emulator)."""
    opened: list[Warehouse] = []

    def open_(backend: str) -> Warehouse:
        if backend == "duckdb":
            warehouse: Warehouse = DuckDBWarehouse(":memory:")
        else:
            from strikeouts.cloud.bigquery_warehouse import BigQueryWarehouse

            server: ServerProcess = request.getfixturevalue("bigquery_emulator")
            request.node.stash[EMULATOR] = server
            warehouse = BigQueryWarehouse(
                project=DEFAULT_PROJECT,
                dataset=f"t_{uuid.uuid4().hex[:12]}",
                endpoint=server.endpoint,
                timeout=30.0,
            )
        opened.append(warehouse)
        return warehouse

    yield open_
    for warehouse in opened:
        warehouse.close()


@pytest.fixture(params=BACKENDS)
def warehouse(request: pytest.FixtureRequest, open_backend: OpenWarehouse) -> Warehouse:
    """A fresh, empty warehouse on each backend in turn."""
    return open_backend(request.param)


@pytest.fixture
def both(open_backend: OpenWarehouse) -> tuple[Warehouse, Warehouse]:
    """A fresh DuckDB warehouse and a fresh BigQuery (emulator) one, to compare results."""
    return open_backend("duckdb"), open_backend("bigquery")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item) -> Iterator[None]:
    """Attach the emulator's log to the report of a failed test that used it."""
    report = yield
    server = item.stash.get(EMULATOR, None)
    if server is not None and report.failed:
        report.sections.append(("bqemulator log (tail)", server.log_tail()))
    return report
