"""Results intake against the local fixture API: starts, idempotence, corrections, rejections."""

from __future__ import annotations

import pandas as pd
import pytest

from strikeouts.data.teams import TeamCodes
from strikeouts.gameday.results import intake_results
from strikeouts.sources.http import SourceDown
from strikeouts.sources.statsapi import StatsApiClient
from strikeouts.warehouse.duckdb_backend import DuckDBWarehouse

from .conftest import D1
from .fixture_api import FixtureApi

pytestmark = pytest.mark.data

STARTS = "SELECT * FROM pitcher_starts WHERE game_date = @d ORDER BY game_id, pitcher_id"


def _box_values(api: FixtureApi, day: str) -> dict[tuple[int, int], tuple[int, ...]]:
    """(game_pk, pitcher_id) → (K, outs, BF, pitches, BB, H, R) from the box-score files."""
    out = {}
    for game in api.schedule(day)["dates"][0]["games"]:
        box = api.load(f"{day}/statsapi/boxscore_{game['gamePk']}.json")
        for side in ("home", "away"):
            first = box["teams"][side]["pitchers"][0]
            p = box["teams"][side]["players"][f"ID{first}"]["stats"]["pitching"]
            out[(game["gamePk"], first)] = (
                p["strikeOuts"],
                p["outs"],
                p["battersFaced"],
                p["numberOfPitches"],
                p["baseOnBalls"],
                p["hits"],
                p["runs"],
            )
    return out


def test_finals_become_starts_with_the_source_values_and_bulk_ids(
    api: FixtureApi,
    statsapi: StatsApiClient,
    warehouse: DuckDBWarehouse,
    teams: TeamCodes,
    ingested: DuckDBWarehouse,
) -> None:
    api.final.add("2025-07-04")
    report = intake_results(D1, statsapi, warehouse, teams)
    assert (report.games, report.final, report.starts, report.rejected) == (15, 15, 30, 0)
    stored = warehouse.query(STARTS, {"d": D1})
    assert set(stored["source"]) == {"statsapi"}
    got = {
        (int(r.game_pk), int(r.pitcher_id)): (
            r.strikeouts,
            r.outs,
            r.batters_faced,
            r.pitches,
            r.walks,
            r.hits,
            r.runs,
        )
        for r in stored.itertuples()
    }
    assert got == _box_values(api, "2025-07-04")
    # the bulk ingest of the same day has the same keys and strikeouts
    bulk = ingested.query(STARTS, {"d": D1})
    assert set(zip(stored["game_id"], stored["pitcher_id"], strict=False)) == set(
        zip(bulk["game_id"], bulk["pitcher_id"], strict=False)
    )
    merged = stored.merge(bulk, on=["game_id", "pitcher_id"], suffixes=("", "_bulk"))
    assert (merged["strikeouts"] == merged["strikeouts_bulk"]).all()
    assert (merged["is_home"] == merged["is_home_bulk"]).all()


def test_intake_is_idempotent_and_a_corrected_box_score_replaces_the_row(
    api: FixtureApi, statsapi: StatsApiClient, warehouse: DuckDBWarehouse, teams: TeamCodes
) -> None:
    api.final.add("2025-07-04")
    intake_results(D1, statsapi, warehouse, teams)
    intake_results(D1, statsapi, warehouse, teams)
    assert len(warehouse.query(STARTS, {"d": D1})) == 30
    box = api.load("2025-07-04/statsapi/boxscore_777235.json")
    box["teams"]["home"]["players"]["ID676508"]["stats"]["pitching"]["strikeOuts"] = 5
    api.overrides["/api/v1/game/777235/boxscore"] = box
    intake_results(D1, statsapi, warehouse, teams)
    stored = warehouse.query(STARTS, {"d": D1})
    assert len(stored) == 30
    assert int(stored.loc[stored["pitcher_id"] == 676508, "strikeouts"].iloc[0]) == 5


def test_postponed_and_suspended_games_give_no_starts(
    api: FixtureApi, statsapi: StatsApiClient, warehouse: DuckDBWarehouse, teams: TeamCodes
) -> None:
    final = api.load("2025-07-04/statsapi/schedule_final.json")
    games = final["dates"][0]["games"]
    games[0]["status"] = {"codedGameState": "D", "detailedState": "Postponed"}
    games[1]["status"] = {"codedGameState": "T", "detailedState": "Suspended: Rain"}
    api.overrides["schedule:2025-07-04"] = final
    report = intake_results(D1, statsapi, warehouse, teams)
    assert report.void == {games[0]["gamePk"]: "postponed", games[1]["gamePk"]: "suspended"}
    assert report.starts == 26
    stored = warehouse.query(STARTS, {"d": D1})
    assert not stored["game_pk"].isin([games[0]["gamePk"], games[1]["gamePk"]]).any()
    assert not any(f"/game/{games[0]['gamePk']}/" in c for c in api.calls)


def test_impossible_lines_and_unknown_teams_are_rejected_with_raw_json(
    api: FixtureApi, statsapi: StatsApiClient, warehouse: DuckDBWarehouse, teams: TeamCodes
) -> None:
    api.final.add("2025-07-04")
    box = api.load("2025-07-04/statsapi/boxscore_777236.json")
    first = box["teams"]["away"]["pitchers"][0]
    box["teams"]["away"]["players"][f"ID{first}"]["stats"]["pitching"]["strikeOuts"] = 40
    api.overrides["/api/v1/game/777236/boxscore"] = box
    final = api.load("2025-07-04/statsapi/schedule_final.json")
    final["dates"][0]["games"][2]["teams"]["home"]["team"].update(
        {"name": "Nowhere Nine", "abbreviation": "NOW"}
    )
    api.overrides["schedule:2025-07-04"] = final
    report = intake_results(D1, statsapi, warehouse, teams)
    assert report.starts == 30 - 1 - 2 and report.rejected == 2
    rejected = warehouse.query("SELECT * FROM rejected_rows WHERE target_table = 'pitcher_starts'")
    rejected = rejected[rejected["source_file"].str.startswith("http")]
    by_column = dict(zip(rejected["column_name"], rejected["value"], strict=False))
    assert by_column[f"teams.away.players.ID{first}.stats.pitching.strikeOuts"] == "40"
    assert by_column["teams.home.team.name"] == "Nowhere Nine"
    assert rejected["raw"].str.len().min() > 10
    assert intake_results(D1, statsapi, warehouse, teams).rejected == 0  # recorded once


def test_a_pitcher_missing_from_the_register_still_gets_his_start(
    api: FixtureApi, statsapi: StatsApiClient, warehouse: DuckDBWarehouse, teams: TeamCodes
) -> None:
    api.final.add("2025-07-04")
    box = api.load("2025-07-04/statsapi/boxscore_777235.json")
    side = box["teams"]["home"]
    side["players"]["ID999999"] = {**side["players"].pop("ID676508")}
    side["players"]["ID999999"]["person"] = {"id": 999999, "fullName": "Rookie Newman"}
    side["pitchers"] = [999999]
    api.overrides["/api/v1/game/777235/boxscore"] = box
    intake_results(D1, statsapi, warehouse, teams)
    row = warehouse.query("SELECT * FROM pitcher_starts WHERE pitcher_id = 999999")
    assert list(row["pitcher_name"]) == ["Rookie Newman"] and row["retro_id"].isna().all()


def test_a_box_score_source_that_stays_down_writes_nothing(
    api: FixtureApi, statsapi: StatsApiClient, warehouse: DuckDBWarehouse, teams: TeamCodes
) -> None:
    api.final.add("2025-07-04")
    api.status["/api/v1/game/777250/boxscore"] = 503
    before = {t: warehouse.row_count(t) for t in ("pitcher_starts", "games", "rejected_rows")}
    with pytest.raises(SourceDown, match="777250"):
        intake_results(D1, statsapi, warehouse, teams)
    after = {t: warehouse.row_count(t) for t in before}
    assert after == before


def test_bulk_rows_win_over_live_rows_of_the_same_start(
    api: FixtureApi,
    statsapi: StatsApiClient,
    warehouse: DuckDBWarehouse,
    teams: TeamCodes,
    ingested: DuckDBWarehouse,
) -> None:
    bulk = ingested.query(STARTS, {"d": D1})
    warehouse.merge("pitcher_starts", bulk.head(4))
    api.final.add("2025-07-04")
    report = intake_results(D1, statsapi, warehouse, teams)
    assert (report.kept_bulk, report.starts) == (4, 26)
    stored = warehouse.query(STARTS, {"d": D1})
    assert len(stored) == 30
    assert (stored["source"] != "statsapi").sum() == 4
    pd.testing.assert_series_equal(
        stored[stored["source"] != "statsapi"]["pitcher_id"].reset_index(drop=True),
        bulk.head(4).sort_values(["game_id", "pitcher_id"])["pitcher_id"].reset_index(drop=True),
    )
