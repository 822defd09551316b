"""The full real-data ingest reproduces the facts measured on the files (data/README.md)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from strikeouts.data.ingest import IngestReport, ingest_all
from strikeouts.data.summary import summarize
from strikeouts.warehouse import load_schema
from strikeouts.warehouse.duckdb_backend import DuckDBWarehouse

pytestmark = pytest.mark.data

STARTS = {2021: 4858, 2022: 4860, 2023: 4860, 2024: 4858}
K_MEAN = {2021: 4.81, 2022: 4.73, 2023: 4.84, 2024: 4.84}
LEAGUE_K_PCT = {2021: 0.232, 2022: 0.224, 2023: 0.227, 2024: 0.226, 2025: 0.222}


def _by_season(store: DuckDBWarehouse) -> pd.DataFrame:
    return store.query(
        "SELECT season, COUNT(*) AS n, AVG(strikeouts) AS k, STDDEV(strikeouts) AS sd "
        "FROM pitcher_starts GROUP BY season"
    ).set_index("season")


def test_retrosheet_starts_per_season(ingested: DuckDBWarehouse) -> None:
    seasons = _by_season(ingested)
    assert {s: int(seasons.loc[s, "n"]) for s in STARTS} == STARTS


def test_2025_starts_from_statcast(ingested: DuckDBWarehouse) -> None:
    n = int(_by_season(ingested).loc[2025, "n"])
    print(f"2025 starts: {n}")
    assert 4850 <= n <= 4862
    sources = ingested.query(
        "SELECT DISTINCT source FROM pitcher_starts WHERE season IN (2025, 2026)"
    )
    assert set(sources["source"]) == {"statcast"}


def test_strikeouts_per_start_mean_and_sd(ingested: DuckDBWarehouse) -> None:
    seasons = _by_season(ingested)
    for season, mean in K_MEAN.items():
        assert abs(float(seasons.loc[season, "k"]) - mean) <= 0.01, season
        assert 2.4 <= float(seasons.loc[season, "sd"]) <= 2.65, season


def test_pitcher_strikeouts_sum_to_team_strikeouts(data_dir: Path) -> None:
    """Every 2021-2024 game: a team's pitchers' K = the opponent's batting K (team_games)."""
    from strikeouts.data.register import load_register, retro_crosswalk
    from strikeouts.data.rejections import Rejections
    from strikeouts.data.retrosheet import read_pitching, read_teamstats
    from strikeouts.data.teams import load_team_codes

    teams, rejections = load_team_codes(data_dir), Rejections()
    crosswalk = retro_crosswalk(
        load_register([data_dir / "register/people_mlb2015plus.csv.gz"], rejections)
    )
    for season in STARTS:
        pitching = read_pitching(
            data_dir / f"retrosheet/{season}pitching.csv.gz", teams, crosswalk, rejections
        )
        batting = read_teamstats(
            data_dir / f"retrosheet/{season}teamstats.csv.gz", teams, rejections
        )
        thrown = pitching.groupby(["game_id", "opponent"])["strikeouts"].sum()
        struck = batting.set_index(["game_id", "team"])["strikeouts"]
        joined = pd.concat([thrown.rename("thrown"), struck.rename("struck")], axis=1)
        assert len(joined) == len(struck), season
        assert (joined["thrown"] == joined["struck"]).all(), season
    assert len(rejections) == 0


def test_retrosheet_and_statcast_agree_on_shared_2024_starts(
    ingested: DuckDBWarehouse, data_dir: Path, ingest_report: IngestReport
) -> None:
    from strikeouts.data.rejections import Rejections
    from strikeouts.data.statcast import read_statcast_starts
    from strikeouts.data.teams import load_team_codes

    statcast = read_statcast_starts(
        data_dir / "statcast/starts_2024-03_2026-05.csv.gz",
        load_team_codes(data_dir),
        Rejections(),
    )
    retro = ingested.query(
        "SELECT game_pk, pitcher_id, strikeouts, outs FROM pitcher_starts "
        "WHERE season = 2024 AND game_pk IS NOT NULL"
    )
    both = retro.merge(statcast, on=["game_pk", "pitcher_id"], suffixes=("_rs", "_sc"))
    assert len(both) == 4852
    assert (both["strikeouts_rs"] == both["strikeouts_sc"]).all()
    assert (both["outs_rs"] == both["outs_sc"]).all()
    assert ingest_report.cross_checks["shared_starts"] == 4852
    assert ingest_report.cross_checks["shared_strikeouts_disagree"] == 0
    enriched = ingested.query(
        "SELECT COUNT(*) AS n FROM pitcher_starts WHERE source = 'retrosheet+statcast' "
        "AND pitches IS NOT NULL AND tto_max IS NOT NULL"
    )
    assert int(enriched["n"].iloc[0]) == 4852


def test_league_strikeout_rate_by_season(ingested: DuckDBWarehouse) -> None:
    rate = ingested.query(
        "SELECT season, SUM(strikeouts) / SUM(plate_appearances) AS k_pct "
        "FROM team_games GROUP BY season"
    ).set_index("season")["k_pct"]
    for season, expected in LEAGUE_K_PCT.items():
        assert abs(float(rate.loc[season]) - expected) < 0.0005, season


def test_games_keys_and_links(ingested: DuckDBWarehouse) -> None:
    orphans = ingested.query(
        "SELECT COUNT(*) AS n FROM pitcher_starts s LEFT JOIN games g USING (game_id) "
        "WHERE g.game_id IS NULL"
    )
    assert int(orphans["n"].iloc[0]) == 0
    pk = ingested.query(
        "SELECT COUNT(*) AS n FROM (SELECT game_pk FROM games WHERE game_pk IS NOT NULL "
        "GROUP BY game_pk HAVING COUNT(*) > 1)"
    )
    assert int(pk["n"].iloc[0]) == 0
    ids = ingested.query("SELECT game_id, game_date, home_team, doubleheader FROM games")
    assert ids["game_id"].str.fullmatch(r"[A-Z]{3}\d{8}[012]").all()
    assert (
        ids["game_id"].str[3:11] == pd.to_datetime(ids["game_date"]).dt.strftime("%Y%m%d")
    ).all()
    assert (ids["game_id"].str[-1].astype(int) == ids["doubleheader"]).all()
    # Every Statcast game of a Retrosheet season maps to its Retrosheet game.
    per_source = ingested.query(
        "SELECT season, source, COUNT(*) AS n, COUNTIF(game_pk IS NOT NULL) AS with_pk "
        "FROM games GROUP BY season, source"
    )
    assert set(per_source.loc[per_source["season"] <= 2025, "source"]) == {"retrosheet"}
    assert set(per_source.loc[per_source["season"] == 2026, "source"]) == {"statcast"}


def test_team_games_lineups_and_pitches(ingested: DuckDBWarehouse) -> None:
    tg = ingested.query(
        "SELECT season, COUNT(*) AS n, COUNTIF(ARRAY_LENGTH(lineup_ids) = 9) AS full_lineup, "
        "COUNTIF(pitches_thrown IS NOT NULL) AS with_pitches, "
        "COUNTIF(starting_pitcher_id IS NOT NULL) AS with_sp FROM team_games GROUP BY season"
    ).set_index("season")
    assert set(tg.index) == {2021, 2022, 2023, 2024, 2025}  # 2026 has no team batting lines
    assert (tg["full_lineup"] == tg["n"]).all()
    assert (tg["with_sp"] == tg["n"]).all()
    assert (
        tg.loc[[2021, 2022, 2023, 2024], "with_pitches"] == tg.loc[[2021, 2022, 2023, 2024], "n"]
    ).all()
    assert int(tg.loc[2025, "with_pitches"]) == 0
    starter_matches = ingested.query(
        "SELECT COUNTIF(s.pitcher_id = t.starting_pitcher_id) AS same, COUNT(*) AS n "
        "FROM pitcher_starts s JOIN team_games t ON s.game_id = t.game_id AND s.team = t.team"
    ).iloc[0]
    assert int(starter_matches["same"]) == int(starter_matches["n"]) > 24000


def test_no_rejections_in_core_real_files(ingested: DuckDBWarehouse) -> None:
    core = ingested.query(
        "SELECT COUNT(*) AS n FROM rejected_rows WHERE target_table != 'prop_lines'"
    )
    assert int(core["n"].iloc[0]) == 0


def test_line_match_rate(ingested: DuckDBWarehouse) -> None:
    rate = summarize(ingested).line_match_rate
    assert rate is not None
    print(f"line match rate: {rate:.3f}")
    assert rate >= 0.90


def test_ingest_is_idempotent(
    data_dir: Path, tmp_path: Path, ingested: DuckDBWarehouse, ingest_report: IngestReport
) -> None:
    """Ingesting again over the session's ingest (a copy of it) adds and changes nothing."""
    ingested.execute("CHECKPOINT")
    path = tmp_path / "twice.duckdb"
    shutil.copyfile(ingested.path, path)
    store = DuckDBWarehouse(path)
    second = ingest_all(data_dir, store)
    assert second.rows == ingest_report.rows
    for table in second.rows:
        assert store.row_count(table) == ingested.row_count(table), table
        key = list(load_schema(table).key)
        cols = ", ".join(f"`{k}`" for k in key)
        dupes = store.query(
            f"SELECT COUNT(*) AS n FROM (SELECT {cols} FROM {table} GROUP BY {cols} "
            "HAVING COUNT(*) > 1)"
        )
        assert int(dupes["n"].iloc[0]) == 0, table
    store.close()
