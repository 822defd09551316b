"""Issue 20 item 6: a deploy's canary writes real rows into the production tables, but no view a
user reads shows them: every monitoring view is built on ``pitcher_strikeout_predictions_latest``,
which leaves runs named with the canary prefix out, even when the canary is the newest run."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from strikeouts.deploy.operations import CANARY_PREFIX, canary_run_id
from strikeouts.monitoring.views import VIEWS, ensure_views, view_path
from strikeouts.warehouse.duckdb_backend import DuckDBWarehouse

DAY = dt.date(2025, 6, 10)
CREATED = dt.datetime(2025, 6, 10, 9, tzinfo=dt.UTC)


def row(run_id: str, created: dt.datetime, strikeouts: float) -> dict[str, object]:
    return {
        "run_id": run_id,
        "game_id": "NYA202506100",
        "pitcher_id": 1,
        "system_id": "v1_baseline",
        "game_date": DAY,
        "team": "NYA",
        "opponent": "BOS",
        "is_home": True,
        "predicted_strikeouts": strikeouts,
        "red_flags": [],
        "status": "ok",
        "contributing_systems": [],
        "missing_systems": [],
        "run_created_at": created,
        "created_at": created,
    }


def test_canary_rows_are_in_the_table_and_in_no_view(tmp_path: Path) -> None:
    warehouse = DuckDBWarehouse(tmp_path / "w.duckdb")
    try:
        ensure_views(warehouse)
        canary = canary_run_id(DAY)
        assert canary.startswith(CANARY_PREFIX)
        rows = [
            row("morning", CREATED, 5.0),
            row(canary, CREATED + dt.timedelta(hours=1), 9.0),  # newer: would win "latest"
        ]
        warehouse.merge("pitcher_strikeout_predictions", pd.DataFrame(rows))
        stored = warehouse.query("SELECT run_id FROM pitcher_strikeout_predictions")
        assert sorted(stored["run_id"]) == sorted(["morning", canary])
        latest = warehouse.query(
            "SELECT run_id, predicted_strikeouts FROM pitcher_strikeout_predictions_latest"
        )
        assert latest["run_id"].tolist() == ["morning"]
        assert latest["predicted_strikeouts"].tolist() == [5.0]
        # the views below it see one pitcher-game, the real run's
        coverage = warehouse.query(
            "SELECT pitcher_games FROM daily_coverage WHERE game_date = @d", {"d": DAY}
        )
        assert coverage["pitcher_games"].tolist() == [1]
    finally:
        warehouse.close()


def test_the_latest_view_names_the_canary_prefix_and_every_view_builds_on_it() -> None:
    sql = view_path("pitcher_strikeout_predictions_latest").read_text()
    assert f"run_id NOT LIKE '{CANARY_PREFIX}%'" in sql
    for name in VIEWS[1:]:
        text = view_path(name).read_text()
        assert "FROM pitcher_strikeout_predictions\n" not in text, name
        assert "FROM pitcher_strikeout_predictions " not in text, name
