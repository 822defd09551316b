"""Ingesting the same small slice of the real data gives the same tables on both backends."""

from __future__ import annotations

import gzip
import shutil
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from strikeouts.warehouse import Warehouse, load_schema

from .conftest import OpenWarehouse

GAMES = 120  # the first games of 2024: enough for every table to have rows
SEASON = 2024


def _copy_lines(source: Path, target: Path, keep: Callable[[list[str]], bool]) -> set[str]:
    """Copy the header and the lines whose fields pass ``keep``; returns their first fields."""
    firsts: set[str] = set()
    target.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(source, "rt", newline="") as src, gzip.open(target, "wt", newline="") as out:
        out.write(next(src))
        for line in src:
            fields = line.split(",", 2)
            if keep(fields):
                out.write(line)
                firsts.add(fields[0])
    return firsts


def _first_games(gameinfo: Path, n: int) -> tuple[set[str], str]:
    """The ids of the first ``n`` games in ``gameinfo`` and the last of their dates (ISO)."""
    with gzip.open(gameinfo, "rt") as src:
        next(src)
        rows = [line.split(",", 5) for _, line in zip(range(n), src, strict=False)]
    last = max(r[4] for r in rows)
    return {r[0] for r in rows}, f"{last[:4]}-{last[4:6]}-{last[6:8]}"


def make_slice(data_dir: Path, target: Path) -> Path:
    """A data directory in ``target`` with only the first :data:`GAMES` games of 2024."""
    retro = data_dir / "retrosheet"
    games, last_date = _first_games(retro / f"{SEASON}gameinfo.csv.gz", GAMES)

    def in_slice(fields: list[str]) -> bool:
        return fields[0] in games

    def in_dates(fields: list[str]) -> bool:
        return f"{SEASON}-" <= fields[1][:10] <= last_date

    for kind in ("gameinfo", "pitching", "teamstats"):
        name = f"{SEASON}{kind}.csv.gz"
        _copy_lines(retro / name, target / "retrosheet" / name, in_slice)
    splits = f"teams-{SEASON}.csv.gz"
    _copy_lines(data_dir / "retrosplits" / splits, target / "retrosplits" / splits, in_slice)
    for source in (data_dir / "statcast").glob("starts_*.csv.gz"):
        _copy_lines(source, target / "statcast" / source.name, in_dates)
    for source in (data_dir / "register").glob("*.csv.gz"):
        (target / "register").mkdir(parents=True, exist_ok=True)
        shutil.copy(source, target / "register" / source.name)
    shutil.copy(data_dir / "team_codes.csv", target / "team_codes.csv")
    return target


def _table(warehouse: Warehouse, table: str) -> pd.DataFrame:
    frame = warehouse.query(f"SELECT * FROM {table}")
    return frame.sort_values(list(load_schema(table).key)).reset_index(drop=True)


@pytest.mark.data
@pytest.mark.emulator
def test_the_same_slice_ingests_identically_into_duckdb_and_bigquery(
    data_dir: Path, tmp_path: Path, open_backend: OpenWarehouse
) -> None:
    ingest = pytest.importorskip("strikeouts.data.ingest")
    sliced = make_slice(data_dir, tmp_path / "data")
    duck, bq = open_backend("duckdb"), open_backend("bigquery")
    duck_report = ingest.ingest_all(sliced, duck, progress=False)
    bq_report = ingest.ingest_all(sliced, bq, progress=False)

    assert duck_report.rows == bq_report.rows
    assert duck_report.rows["pitcher_starts"] >= GAMES  # about two starters per game
    for table in duck_report.rows:
        assert duck.row_count(table) == bq.row_count(table) == duck_report.rows[table], table
    assert duck_report.rows["team_games"] > 0 and duck_report.rows["games"] > 0
    for table in duck_report.rows:
        pd.testing.assert_frame_equal(_table(duck, table), _table(bq, table), obj=table)
