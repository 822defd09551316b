"""A warehouse made by an older schema keeps working: new NULLABLE columns are added in place,
a missing REQUIRED one is refused by name."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from strikeouts.warehouse.duckdb_backend import DuckDBWarehouse
from strikeouts.warehouse.schemas import load_schema


def test_an_older_predictions_table_gains_the_new_columns(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    schema = load_schema("pitcher_strikeout_predictions")
    old = [c for c in schema.columns if c.name not in ("agreement", "minutes_before_game")]
    con = duckdb.connect(str(path))
    cols = ", ".join(f'"{c.name}" {c.duckdb_type()}' for c in old)
    con.execute(f"CREATE TABLE pitcher_strikeout_predictions ({cols})")
    con.close()
    warehouse = DuckDBWarehouse(path)
    try:
        warehouse.ensure_tables(["pitcher_strikeout_predictions"])
        names = set(warehouse.query("DESCRIBE pitcher_strikeout_predictions")["column_name"])
        assert {"agreement", "minutes_before_game"} <= names
    finally:
        warehouse.close()


def test_a_missing_required_column_is_named(tmp_path: Path) -> None:
    path = tmp_path / "broken.duckdb"
    con = duckdb.connect(str(path))
    con.execute('CREATE TABLE rejected_messages ("handler" VARCHAR)')
    con.close()
    warehouse = DuckDBWarehouse(path)
    try:
        with pytest.raises(ValueError, match="payload_sha256"):
            warehouse.ensure_tables(["rejected_messages"])
    finally:
        warehouse.close()
