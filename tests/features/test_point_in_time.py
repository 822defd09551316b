"""Leakage is impossible by construction: features for D ignore every game on or after D."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from strikeouts.features import History, TargetError, build_features, start_targets
from strikeouts.warehouse.duckdb_backend import DuckDBWarehouse

pytestmark = pytest.mark.data

TABLES = ("games", "pitcher_starts", "prop_lines")


def _start_dates(history: History) -> list[dt.date]:
    dates = history.starts["game_date"]
    picked = dates[(dates >= "2022-01-01")].drop_duplicates().sort_values()
    return [d.date() for d in picked]


def _targets_on(history: History, day: dt.date) -> pd.DataFrame:
    return start_targets(history, day, day)


@pytest.fixture(scope="module")
def start_dates(history: History) -> list[dt.date]:
    return _start_dates(history)


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_features_ignore_games_on_or_after_the_date(
    history: History, start_dates: list[dt.date], data: st.DataObject
) -> None:
    day = data.draw(st.sampled_from(start_dates), label="game date")
    targets = _targets_on(history, day)
    full = build_features(history, targets)
    truncated = build_features(history.cut(day), targets)
    pd.testing.assert_frame_equal(full, truncated)


def test_truncated_duckdb_warehouse_gives_same_features(
    history: History, ingested: DuckDBWarehouse, tmp_path: Path
) -> None:
    day = dt.date(2025, 7, 19)
    store = DuckDBWarehouse(tmp_path / "cut.duckdb")
    try:
        for table in TABLES:
            store.replace_table(table, ingested.query(f"SELECT * FROM {table}"))
            store.execute(f"DELETE FROM {table} WHERE game_date >= @day", {"day": day})
        assert store.query("SELECT MAX(game_date) AS d FROM pitcher_starts")["d"][0] < pd.Timestamp(
            day
        )
        targets = _targets_on(history, day)
        assert len(targets) >= 20
        from_cut_store = build_features(History.load(store), targets)
        from_loaded_before = build_features(History.load(ingested, before=day), targets)
    finally:
        store.close()
    full = build_features(history, targets)
    pd.testing.assert_frame_equal(full, from_cut_store)
    pd.testing.assert_frame_equal(full, from_loaded_before)


def test_load_before_holds_only_earlier_games(ingested: DuckDBWarehouse) -> None:
    day = dt.date(2024, 6, 1)
    cut = History.load(ingested, before=day)
    assert cut.starts["game_date"].max() < pd.Timestamp(day)
    assert cut.lines.empty or cut.lines["game_date"].max() < pd.Timestamp(day)
    assert len(cut.starts) > 10_000


def test_range_build_equals_per_date_build(history: History, backtest: pd.DataFrame) -> None:
    for day in (
        dt.date(2022, 4, 8),
        dt.date(2024, 3, 28),
        dt.date(2025, 8, 2),
        dt.date(2026, 5, 30),
    ):
        per_date = build_features(history.cut(day), _targets_on(history, day))
        ranged = backtest.loc[backtest["game_date"] == pd.Timestamp(day)].drop(columns="actual_k")
        assert len(per_date) == len(ranged) > 0, day
        pd.testing.assert_frame_equal(per_date, ranged.reset_index(drop=True))


def test_target_after_the_cut_is_refused(history: History) -> None:
    day = dt.date(2025, 7, 19)
    targets = _targets_on(history, day)
    with pytest.raises(TargetError, match="2025-07-19 is after the history's cut 2025-07-10"):
        build_features(history.cut(dt.date(2025, 7, 10)), targets)
