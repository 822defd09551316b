"""The per-date feature source: one prepared full history, the old per-date answers, never stale.

A snapshot served from the cached FULL history must equal, value for value (None for NaN),
what the source built before the cache existed: ``build_features`` on
``History.load(warehouse, before=D)``. The cache must follow the warehouse: one fingerprint
query per per-date build, a reload exactly when the source tables changed.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from strikeouts.devstack.emulators import ServerProcess
from strikeouts.devstack.emulators.bigquery import DEFAULT_PROJECT
from strikeouts.features import History, build_features
from strikeouts.features.history import STARTS_SQL
from strikeouts.pipeline.ports import FeatureRow, PitcherGameRef
from strikeouts.runtime.features import (
    FINGERPRINT_SQL,
    WarehouseFeatureSource,
    fingerprint,
    rows_of,
)
from strikeouts.runtime.schedule import slate
from strikeouts.warehouse.base import Warehouse
from strikeouts.warehouse.duckdb_backend import DuckDBWarehouse

from .conftest import DAY, SOURCE_TABLES

pytestmark = pytest.mark.data

# opening days (2024: the two-start Seoul series; 2026: with lines), early season, a
# doubleheader date and mid-season dates with lines
DATES = (
    dt.date(2024, 3, 20),
    dt.date(2025, 3, 27),
    dt.date(2025, 4, 2),
    dt.date(2025, 7, 2),
    DAY,
    dt.date(2026, 3, 26),
    dt.date(2026, 5, 30),
)


class Recording:
    """A warehouse that notes every query it is asked (to count fingerprints and loads)."""

    def __init__(self, inner: Warehouse) -> None:
        self.inner = inner
        self.name = inner.name
        self.queries: list[str] = []

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> pd.DataFrame:
        self.queries.append(sql)
        return self.inner.query(sql, params)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def count(self, sql: str) -> int:
        return sum(q == sql for q in self.queries)


def _refs(warehouse: Warehouse, day: dt.date) -> list[PitcherGameRef]:
    """The day's starters as fanout asks about them (from the schedule's slate)."""
    return [
        PitcherGameRef(
            game_id=str(r["game_id"]),
            game_date=day,
            pitcher_id=int(r["pitcher_id"]),
            team=str(r["team"]),
            opponent=str(r["opponent"]),
            is_home=bool(r["is_home"]),
        )
        for r in slate(warehouse, day, day).to_dict("records")
    ]


def _old_path(warehouse: Warehouse, day: dt.date, targets: pd.DataFrame) -> list[FeatureRow]:
    """What the source served before the cache: a build on the history cut at the date."""
    return rows_of(build_features(History.load(warehouse, before=day), targets))


def _snapshot(source: WarehouseFeatureSource, day: dt.date, refs: Sequence[PitcherGameRef]) -> Any:
    return source.snapshot(day, refs).rows


def test_snapshots_from_the_full_history_equal_the_per_date_builds(
    warehouse: DuckDBWarehouse,
) -> None:
    recording = Recording(warehouse)
    source = WarehouseFeatureSource(recording)
    for day in DATES:
        refs = _refs(warehouse, day)
        assert len(refs) >= 2, day
        rows = _snapshot(source, day, refs)
        expected = _old_path(warehouse, day, slate(warehouse, day, day))
        assert rows == expected, day
        assert any(r.features["k_avg_last5"] is not None for r in rows), day
    lined = _snapshot(source, DAY, _refs(warehouse, DAY))
    assert sum(r.features["line"] is not None for r in lined) == 29
    assert sum(r.features["over_rate_last10_lines"] is not None for r in lined) > 10
    # one load for every date, one fingerprint per per-date build
    assert source.loads == 1 and recording.count(STARTS_SQL.format(where="")) == 1
    assert recording.count(FINGERPRINT_SQL) == len(DATES) + 1 == source.builds


def test_a_date_the_warehouse_has_no_starts_for_equals_the_per_date_build(
    warehouse: DuckDBWarehouse,
) -> None:
    """Fanout's usual case: today's probable starters are not in pitcher_starts yet."""
    last = dt.date(2026, 5, 31)
    day = last + dt.timedelta(days=1)
    refs = [
        PitcherGameRef(f"NEW{i:02d}", day, r.pitcher_id, r.team, r.opponent, r.is_home)
        for i, r in enumerate(_refs(warehouse, last))
    ]
    targets = pd.DataFrame(
        {
            "game_date": pd.Timestamp(day),
            "game_id": [r.game_id for r in refs],
            "pitcher_id": [r.pitcher_id for r in refs],
            "team": [r.team for r in refs],
            "opponent": [r.opponent for r in refs],
            "is_home": [r.is_home for r in refs],
        }
    )
    rows = _snapshot(WarehouseFeatureSource(warehouse), day, refs)
    assert rows == _old_path(warehouse, day, targets)
    assert all(r.features["days_rest"] == 1.0 for r in rows)  # they all pitched on `last`


@pytest.fixture
def copy(ingested: DuckDBWarehouse, tmp_path: Path) -> Iterator[DuckDBWarehouse]:
    """A warehouse of this test's own, to change under a running source."""
    wh = DuckDBWarehouse(tmp_path / "changing.duckdb")
    for table in SOURCE_TABLES:
        wh.replace_table(table, ingested.query(f"SELECT * FROM {table}"))
    yield wh
    wh.close()


def _value(rows: Sequence[FeatureRow], name: str) -> float:
    """Feature ``name`` of the first row, which must be known."""
    value = rows[0].features[name]
    assert value is not None, name
    return value


def test_the_source_reloads_exactly_when_the_warehouse_changes(copy: DuckDBWarehouse) -> None:
    recording = Recording(copy)
    source = WarehouseFeatureSource(recording)
    refs = _refs(copy, DAY)
    pitcher = refs[0].pitcher_id
    first = _snapshot(source, DAY, refs)
    assert source.loads == 1

    recording.queries.clear()
    assert _snapshot(source, DAY, refs) == first
    assert source.loads == 1  # unchanged: no reload, one fingerprint, no history query
    assert recording.count(FINGERPRINT_SQL) == 1
    assert recording.count(STARTS_SQL.format(where="")) == 0

    last_start = copy.query(
        "SELECT * FROM pitcher_starts WHERE pitcher_id = @p AND game_date < @d "
        "ORDER BY game_date DESC LIMIT 1",
        {"p": pitcher, "d": DAY},
    )
    key = {"p": pitcher, "g": last_start["game_id"][0]}
    where = "WHERE pitcher_id = @p AND game_id = @g"
    k_last = _value(first, "k_last")
    assert k_last == float(last_start["strikeouts"][0])

    copy.execute(f"DELETE FROM pitcher_starts {where}", key)  # rows lost
    removed = _snapshot(source, DAY, refs)
    assert source.loads == 2
    assert removed == _old_path(copy, DAY, slate(copy, DAY, DAY))
    assert _value(removed, "career_starts_before") == _value(first, "career_starts_before") - 1

    copy.merge("pitcher_starts", last_start)  # the same row back
    assert _snapshot(source, DAY, refs) == first
    assert source.loads == 3

    copy.execute(f"UPDATE pitcher_starts SET strikeouts = strikeouts + 1 {where}", key)
    corrected = _snapshot(source, DAY, refs)  # same counts and dates: the sums tell
    assert source.loads == 4
    assert _value(corrected, "k_last") == k_last + 1

    newer = last_start.assign(
        game_id="NEW" + last_start["game_id"], game_date=DAY - dt.timedelta(days=1), strikeouts=11
    )
    copy.merge("pitcher_starts", newer)  # a start the day before DAY
    gained = _snapshot(source, DAY, refs)
    assert source.loads == 5
    assert _value(gained, "k_last") == 11.0
    assert _value(gained, "days_rest") == 1.0
    assert gained == _old_path(copy, DAY, slate(copy, DAY, DAY))

    on_the_day = newer.assign(game_id="LATE" + last_start["game_id"], game_date=DAY)
    copy.merge("pitcher_starts", on_the_day)  # a start ON the date reloads, changes nothing
    assert _snapshot(source, DAY, refs) == gained
    assert source.loads == 6


@pytest.mark.emulator
def test_the_fingerprint_agrees_on_bigquery(
    ingested: DuckDBWarehouse, bigquery_emulator: ServerProcess
) -> None:
    from strikeouts.cloud.bigquery_warehouse import BigQueryWarehouse

    bigquery = BigQueryWarehouse(
        project=DEFAULT_PROJECT,
        dataset=f"fingerprint_{uuid.uuid4().hex[:8]}",
        endpoint=bigquery_emulator.endpoint,
        timeout=30.0,
    )
    duck = DuckDBWarehouse(":memory:")
    try:
        bigquery.ensure_tables(SOURCE_TABLES)
        duck.ensure_tables(SOURCE_TABLES)
        empty = fingerprint(bigquery)
        assert empty == fingerprint(bigquery)  # NULL sums and dates compare equal
        week = {"a": DAY - dt.timedelta(days=6), "b": DAY}
        for table in SOURCE_TABLES:
            rows = ingested.query(f"SELECT * FROM {table} WHERE game_date BETWEEN @a AND @b", week)
            assert len(rows) > 0, table
            bigquery.merge(table, rows)
            duck.merge(table, rows)
        filled = fingerprint(bigquery)
        assert filled != empty and filled == fingerprint(bigquery)
        assert _plain(filled) == _plain(fingerprint(duck))
    finally:
        bigquery.close()
        duck.close()


def _plain(mark: tuple[object, ...]) -> list[object]:
    """Fingerprint values with dates and numbers in one type per kind, across backends."""
    return [
        None if v is None else int(str(v)) if pd.api.types.is_number(v) else pd.Timestamp(str(v))
        for v in mark
    ]
