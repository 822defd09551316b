"""Real replayed rows for the monitoring tests, loadable into a fresh DuckDB or BigQuery warehouse.

A week of real dates is replayed once per session through the embedded pipeline (champions
trained on starts before the first date); the prediction rows and the same dates' starts,
lines and games are then the inputs every backend receives, so results can be compared.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest

from strikeouts.adapters import open_model_store
from strikeouts.devstack.emulators import ServerProcess
from strikeouts.devstack.emulators.bigquery import DEFAULT_PROJECT
from strikeouts.models.service import ensure_champions, register, train, training_frame
from strikeouts.monitoring.views import ensure_views
from strikeouts.runtime.runner import load_predictors, replay
from strikeouts.runtime.served import load_challengers
from strikeouts.settings import Settings
from strikeouts.warehouse import Warehouse
from strikeouts.warehouse.duckdb_backend import DuckDBWarehouse

FIRST, LAST = dt.date(2025, 6, 10), dt.date(2025, 6, 16)
CHALLENGER_END = dt.date(2025, 4, 20)
CHALLENGER = ("v1_baseline", CHALLENGER_END)
SOURCES = ("games", "pitcher_starts", "prop_lines")
BACKENDS = ["duckdb", pytest.param("bigquery", marks=pytest.mark.emulator)]
Rows = dict[str, pd.DataFrame]
# The replayed week's systems: the two v1 systems (the views are judged on their rows, and the
# checks are run with these as the expected systems)
VIEW_SYSTEMS = ("v1_baseline", "v1_6_rolling")
OpenLoaded = Callable[[str], Warehouse]


@pytest.fixture(scope="session")
def replayed_rows(ingested: DuckDBWarehouse, tmp_path_factory: pytest.TempPathFactory) -> Rows:
    """The replayed week's prediction rows and its games, starts and lines."""
    folder = tmp_path_factory.mktemp("monitoring-replay")
    store = open_model_store(Settings(model_store=str(folder / "models")))
    ensure_champions(ingested, store, FIRST, VIEW_SYSTEMS)
    # a challenger shadowing v1_baseline: an older model (its rows go to shadow_predictions)
    register(store, train(training_frame(ingested, CHALLENGER_END), *CHALLENGER), "challenger")
    warehouse = DuckDBWarehouse(folder / "warehouse.duckdb")
    try:
        for table in SOURCES:
            warehouse.replace_table(table, ingested.query(f"SELECT * FROM {table}"))
        replay(
            warehouse,
            load_predictors(store, VIEW_SYSTEMS),
            FIRST,
            LAST,
            folder / "state.duckdb",
            challengers=load_challengers(store),
        )
        span = {"first": FIRST, "last": LAST}
        rows = {
            table: warehouse.query(
                f"SELECT * FROM {table} WHERE game_date BETWEEN @first AND @last", span
            )
            for table in (*SOURCES, "pitcher_strikeout_predictions", "shadow_predictions")
        }
    finally:
        warehouse.close()
    return rows


def load(warehouse: Warehouse, rows: Rows) -> Warehouse:
    """``warehouse`` holding ``rows`` and every monitoring view."""
    for table, frame in rows.items():
        warehouse.replace_table(table, frame)
    ensure_views(warehouse)
    return warehouse


@pytest.fixture
def open_loaded(request: pytest.FixtureRequest, replayed_rows: Rows) -> Iterator[OpenLoaded]:
    """Opens a fresh warehouse of a named backend loaded with the replayed rows."""
    opened: list[Warehouse] = []

    def open_(backend: str) -> Warehouse:
        warehouse: Warehouse
        if backend == "duckdb":
            warehouse = DuckDBWarehouse(":memory:")
        else:
            from strikeouts.cloud.bigquery_warehouse import BigQueryWarehouse

            server: ServerProcess = request.getfixturevalue("bigquery_emulator")
            # the same dataset names in every test (emptied before and after), so the emulator
            # translates each view and check query once per session, not once per test
            warehouse = BigQueryWarehouse(
                DEFAULT_PROJECT, f"m_fresh_{len(opened)}", endpoint=server.endpoint, timeout=60
            )
            _drop(warehouse)
        opened.append(warehouse)
        return load(warehouse, replayed_rows)

    yield open_
    for warehouse in opened:
        _drop(warehouse)
        warehouse.close()


def _drop(warehouse: Warehouse) -> None:
    """Delete a BigQuery warehouse's dataset with its tables and views (if it exists)."""
    client = getattr(warehouse, "client", None)
    if client is not None:
        client.delete_dataset(warehouse.dataset_id, delete_contents=True, not_found_ok=True)


@pytest.fixture(scope="session")
def both_loaded(
    replayed_rows: Rows, bigquery_emulator: ServerProcess
) -> Iterator[tuple[Warehouse, Warehouse]]:
    """One DuckDB and one BigQuery (emulator) warehouse with the same rows, for read-only tests."""
    from strikeouts.cloud.bigquery_warehouse import BigQueryWarehouse

    duck = load(DuckDBWarehouse(":memory:"), replayed_rows)
    bq = load(
        BigQueryWarehouse(
            DEFAULT_PROJECT, "monitoring", endpoint=bigquery_emulator.endpoint, timeout=60
        ),
        replayed_rows,
    )
    yield duck, bq
    duck.close()
    bq.close()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings whose window checks judge on a week of data (a smaller minimum sample)."""
    return Settings(state_dir=tmp_path, monitor={"window_days": 7, "min_sample": 40})
