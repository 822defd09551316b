"""A bulk ingest keeps the live intake's rows where the files lack them, and wins where not."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from strikeouts.data.ingest import ingest_all
from strikeouts.data.live import with_live
from strikeouts.data.rejections import Rejections
from strikeouts.warehouse.duckdb_backend import DuckDBWarehouse

pytestmark = pytest.mark.data


def _start(game_id: str, game_pk: int, day: dt.date, pitcher: int, k: int) -> dict[str, object]:
    return {
        "game_date": day,
        "season": day.year,
        "game_id": game_id,
        "game_pk": game_pk,
        "pitcher_id": pitcher,
        "team": "LAD",
        "opponent": "HOU",
        "is_home": True,
        "strikeouts": k,
        "outs": 18,
        "source": "statsapi",
    }


def test_ingest_keeps_new_live_rows_and_lets_the_files_win(
    data_dir: Path, ingested: DuckDBWarehouse, tmp_path: Path
) -> None:
    real = ingested.query(
        "SELECT * FROM pitcher_starts WHERE game_date = '2025-07-04' ORDER BY game_id LIMIT 1"
    ).iloc[0]
    after_data = dt.date(2026, 6, 2)
    live = pd.DataFrame(
        [
            # the files hold this start (same game_pk and pitcher): theirs wins, K disagrees
            _start(
                "XXX202507040",
                int(real["game_pk"]),
                dt.date(2025, 7, 4),
                int(real["pitcher_id"]),
                int(real["strikeouts"]) + 1,
            ),
            _start("LAN202606020", 900001, after_data, 111, 6),  # newer than the files
        ]
    )
    rejections = Rejections()
    rejections.add("http://127.0.0.1/api/v1/game/900002/boxscore", 1, "strikeOuts", "x", "bad")
    wh = DuckDBWarehouse(tmp_path / "w.duckdb")
    wh.merge("pitcher_starts", live)
    wh.merge("rejected_rows", rejections.frame())
    report = ingest_all(data_dir, wh)
    assert report.cross_checks["live_pitcher_starts_kept"] == 1
    assert report.cross_checks["live_pitcher_starts_superseded"] == 1
    assert report.cross_checks["live_pitcher_starts_disagree"] == 1
    kept = wh.query("SELECT * FROM pitcher_starts WHERE source = 'statsapi'")
    assert list(kept["game_id"]) == ["LAN202606020"]
    same = wh.query(
        "SELECT source, strikeouts FROM pitcher_starts WHERE pitcher_id = @p AND game_pk = @g",
        {"p": int(real["pitcher_id"]), "g": int(real["game_pk"])},
    )
    assert len(same) == 1 and same["source"].iloc[0] != "statsapi"
    assert int(same["strikeouts"].iloc[0]) == int(real["strikeouts"])
    assert wh.row_count("pitcher_starts") == ingested.row_count("pitcher_starts") + 1
    urls = wh.query("SELECT source_file FROM rejected_rows WHERE source_file LIKE 'http%'")
    assert len(urls) == 1
    report = ingest_all(data_dir, wh)  # again: nothing duplicated
    assert wh.row_count("pitcher_starts") == ingested.row_count("pitcher_starts") + 1
    wh.close()


def test_with_live_without_live_rows_is_the_bulk() -> None:
    bulk = pd.DataFrame({"game_id": ["A"], "game_pk": [1], "pitcher_id": [2]})
    frame, checks = with_live("pitcher_starts", bulk, pd.DataFrame())
    assert frame is bulk and checks == {}
