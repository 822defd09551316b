"""Source precedence on small real slices: without a pitching file, starts come from Statcast."""

from __future__ import annotations

from pathlib import Path

import pytest

from strikeouts.data.ingest import ingest_all
from strikeouts.warehouse.duckdb_backend import DuckDBWarehouse

from . import minidata

pytestmark = pytest.mark.data


def test_season_without_pitching_file_takes_statcast_starts(data_dir: Path, tmp_path: Path) -> None:
    mini = minidata.build(data_dir, tmp_path / "data", rows=200)
    (mini / "retrosheet/2024pitching.csv").unlink()
    store = DuckDBWarehouse(":memory:")
    report = ingest_all(mini, store)
    starts = store.query("SELECT source, COUNT(*) AS n FROM pitcher_starts GROUP BY source")
    assert starts["source"].tolist() == ["statcast"]
    assert int(starts["n"].iloc[0]) == 200  # every Statcast row of the slice is a start
    assert report.cross_checks["statcast_starts_without_game_id"] == 0
    assert report.cross_checks["starter_disagreements"] == 0
    linked = store.query("SELECT COUNT(*) AS n FROM pitcher_starts s JOIN games g USING (game_id)")
    assert int(linked["n"].iloc[0]) == 200


def test_pitching_file_takes_precedence_over_statcast(data_dir: Path, tmp_path: Path) -> None:
    mini = minidata.build(data_dir, tmp_path / "data", rows=200)
    store = DuckDBWarehouse(":memory:")
    report = ingest_all(mini, store)
    sources = store.query("SELECT DISTINCT source FROM pitcher_starts")
    assert set(sources["source"]) <= {"retrosheet", "retrosheet+statcast"}
    assert report.cross_checks["shared_starts"] > 0
