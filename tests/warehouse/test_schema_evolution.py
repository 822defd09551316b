"""A warehouse made by an older schema keeps working: new NULLABLE columns are added in place,
a missing REQUIRED one is refused by name."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from strikeouts.monitoring.views import ensure_views
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


def test_rows_written_before_train_end_existed_read_as_not_in_sample(tmp_path: Path) -> None:
    """A warehouse whose predictions predate the train_end column: the views add it and read
    its old rows as unknown (never in sample), so the accuracy windows keep them."""
    path = tmp_path / "old.duckdb"
    schema = load_schema("pitcher_strikeout_predictions")
    old = [c for c in schema.columns if c.name != "train_end"]
    con = duckdb.connect(str(path))
    cols = ", ".join(f'"{c.name}" {c.duckdb_type()}' for c in old)
    con.execute(f"CREATE TABLE pitcher_strikeout_predictions ({cols})")
    con.execute(
        "INSERT INTO pitcher_strikeout_predictions (run_id, game_id, pitcher_id, system_id, "
        "game_date, team, opponent, is_home, status, predicted_strikeouts, run_created_at, "
        "created_at) VALUES ('r', 'g', 1, 'v1_baseline', DATE '2025-06-01', 'NYY', 'BOS', TRUE, "
        "'ok', 6.0, TIMESTAMPTZ '2025-06-01 12:00:00+00', TIMESTAMPTZ '2025-06-01 12:00:00+00')"
    )
    con.close()
    warehouse = DuckDBWarehouse(path)
    try:
        ensure_views(warehouse)
        rows = warehouse.query("SELECT train_end, in_sample FROM graded_predictions")
        assert len(rows) == 1 and rows["train_end"].isna().all()
        assert not bool(rows["in_sample"].iloc[0])
        perf = warehouse.query("SELECT in_sample, predictions FROM system_performance")
        assert perf.to_dict("records") == [{"in_sample": False, "predictions": 1}]
    finally:
        warehouse.close()
