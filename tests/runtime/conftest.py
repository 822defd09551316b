"""Fixtures for the runtime tests: champions trained before DAY, a warehouse copy to write into."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from strikeouts.adapters import open_model_store
from strikeouts.models.service import ensure_champions
from strikeouts.models.store import ModelStore
from strikeouts.runtime.predictors import ModelPredictor
from strikeouts.runtime.runner import load_predictors
from strikeouts.settings import Settings
from strikeouts.warehouse.duckdb_backend import DuckDBWarehouse

# A real date with lines on 29 of its 30 starts, three of which moved between open and close.
DAY = dt.date(2025, 7, 18)
SOURCE_TABLES = ("games", "pitcher_starts", "prop_lines")


@pytest.fixture(scope="session")
def model_dir(ingested: DuckDBWarehouse, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model store whose champions were trained by ensure_champions on starts before DAY."""
    path = tmp_path_factory.mktemp("runtime-models")
    ensure_champions(ingested, open_model_store(Settings(model_store=str(path))), DAY)
    return path


@pytest.fixture(scope="session")
def model_store(model_dir: Path) -> ModelStore:
    return open_model_store(Settings(model_store=str(model_dir)))


@pytest.fixture(scope="session")
def predictors(model_store: ModelStore) -> list[ModelPredictor]:
    return load_predictors(model_store)


@pytest.fixture(scope="module")
def warehouse_path(ingested: DuckDBWarehouse, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the source tables, so runs never write into the shared session warehouse."""
    path = tmp_path_factory.mktemp("runtime-wh") / "warehouse.duckdb"
    copy = DuckDBWarehouse(path)
    try:
        for table in SOURCE_TABLES:
            copy.replace_table(table, ingested.query(f"SELECT * FROM {table}"))
    finally:
        copy.close()
    return path


@pytest.fixture(scope="module")
def warehouse(warehouse_path: Path) -> Iterator[DuckDBWarehouse]:
    wh = DuckDBWarehouse(warehouse_path)
    yield wh
    wh.close()


@pytest.fixture
def cli_env(warehouse_path: Path, model_dir: Path, tmp_path: Path) -> dict[str, str]:
    """The environment of a CLI call on the module's warehouse copy and the session's models."""
    return {
        "STRIKEOUTS_WAREHOUSE": str(warehouse_path),
        "STRIKEOUTS_MODEL_STORE": str(model_dir),
        "STRIKEOUTS_STATE_DIR": str(tmp_path / "state"),
        "COLUMNS": "220",
    }
