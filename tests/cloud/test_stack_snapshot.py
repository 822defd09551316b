"""The local stack serves the fanout a snapshot of the feature warehouse, so the user's own
warehouse stays writable (DuckDB refuses a writer while any process holds the file)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from strikeouts.devstack.stack import StackError, snapshot_warehouse


def test_snapshot_holds_the_data_and_leaves_the_source_writable(tmp_path: Path) -> None:
    source = tmp_path / "it's a warehouse.duckdb"  # a quote in the path: ATTACH takes literals
    with duckdb.connect(str(source)) as con:
        con.execute("CREATE TABLE pitcher_starts AS SELECT range AS id FROM range(1000)")
        con.execute("CREATE VIEW recent AS SELECT * FROM pitcher_starts WHERE id >= 990")
    snapshot = snapshot_warehouse(source, tmp_path / "stack" / "features.duckdb")
    served = duckdb.connect(str(snapshot), read_only=True)  # what the fanout holds open
    try:
        with duckdb.connect(str(source)) as writer:  # what `strikeouts run` needs meanwhile
            writer.execute("INSERT INTO pitcher_starts VALUES (1000)")
        assert served.execute("SELECT COUNT(*) FROM pitcher_starts").fetchone() == (1000,)
        assert served.execute("SELECT COUNT(*) FROM recent").fetchone() == (10,)
    finally:
        served.close()


def test_snapshot_of_a_broken_file_names_it(tmp_path: Path) -> None:
    broken = tmp_path / "broken.duckdb"
    broken.write_bytes(b"not a database")
    with pytest.raises(StackError, match=r"broken\.duckdb"):
        snapshot_warehouse(broken, tmp_path / "snap.duckdb")
