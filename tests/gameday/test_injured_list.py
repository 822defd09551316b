"""The injured list from the Stats API's 40-man rosters: a fresh fetch, the cache within its
TTL, a stale cache when the source fails, none at all (the slate goes on and says so), and
the injured starter skipped end to end on the embedded path (``schedule --live``)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from structlog.testing import capture_logs
from typer.testing import CliRunner

from strikeouts.cli import app
from strikeouts.gameday.injuries import CACHED, FRESH, MISSING, STALE, read_injured_list
from strikeouts.models.local_store import LocalObjects
from strikeouts.sources.http import SourceDataError
from strikeouts.sources.rosters import StatsApiRosters
from strikeouts.warehouse.duckdb_backend import DuckDBWarehouse

from .conftest import D1, FAST
from .fixture_api import FixtureApi

ROSTERS = Path(__file__).parent / "rosters"
NOW = dt.datetime(2025, 7, 4, 12, tzinfo=dt.UTC)
TTL = dt.timedelta(hours=6)
GIANTS, ATHLETICS = 137, 133
VERLANDER, WEBB, SEARS = 434378, 657277, 676664


def roster_path(team_id: int) -> str:
    return f"/api/v1/teams/{team_id}/roster"


def roster_calls(api: FixtureApi) -> list[str]:
    return [c for c in api.calls if "/roster" in c]


@pytest.fixture
def rosters(httpserver: HTTPServer, api: FixtureApi) -> Iterator[StatsApiRosters]:
    api.rosters = ROSTERS
    client = StatsApiRosters(httpserver.url_for(""), FAST)
    yield client
    client.close()


@pytest.fixture
def cache(tmp_path: Path) -> LocalObjects:
    return LocalObjects(tmp_path / "injured-list")


def test_a_fresh_fetch_reads_the_40_man_roster_of_the_date_and_fills_the_cache(
    api: FixtureApi, rosters: StatsApiRosters, cache: LocalObjects
) -> None:
    found = read_injured_list(D1, [GIANTS, ATHLETICS, GIANTS], rosters, cache, NOW, TTL)
    assert found.teams_by_source(FRESH) == [ATHLETICS, GIANTS] and not found.errors
    assert found.status(GIANTS, VERLANDER) is True
    assert found.teams[GIANTS].injured == {VERLANDER: "Injured 15-Day"}
    assert found.status(GIANTS, WEBB) is False
    assert found.status(ATHLETICS, SEARS) is False  # the server's all-active roster
    calls = roster_calls(api)
    assert len(calls) == 2 and all(
        "rosterType=40Man" in c and "date=2025-07-04" in c for c in calls
    )
    stored = json.loads((Path(cache.uri(f"{GIANTS}.json"))).read_text())
    assert stored["date"] == "2025-07-04" and stored["injured"] == {
        str(VERLANDER): "Injured 15-Day"
    }


def test_the_cache_answers_within_its_ttl_without_a_request(
    api: FixtureApi, rosters: StatsApiRosters, cache: LocalObjects
) -> None:
    read_injured_list(D1, [GIANTS], rosters, cache, NOW, TTL)
    later = read_injured_list(D1, [GIANTS], rosters, cache, NOW + dt.timedelta(hours=5), TTL)
    assert later.teams_by_source(CACHED) == [GIANTS] and later.status(GIANTS, VERLANDER) is True
    assert len(roster_calls(api)) == 1
    expired = read_injured_list(D1, [GIANTS], rosters, cache, NOW + dt.timedelta(hours=7), TTL)
    assert expired.teams_by_source(FRESH) == [GIANTS] and len(roster_calls(api)) == 2
    # a copy fetched for another date is not fresh for this one, however recent
    next_day = read_injured_list(D1 + dt.timedelta(days=1), [GIANTS], rosters, cache, NOW, TTL)
    assert next_day.teams_by_source(FRESH) == [GIANTS] and len(roster_calls(api)) == 3


def test_a_failing_source_falls_back_to_the_stale_cache_and_logs_it(
    api: FixtureApi, rosters: StatsApiRosters, cache: LocalObjects
) -> None:
    read_injured_list(D1, [GIANTS], rosters, cache, NOW, TTL)
    api.status[roster_path(GIANTS)] = 503
    with capture_logs() as logs:
        found = read_injured_list(D1, [GIANTS], rosters, cache, NOW + dt.timedelta(hours=9), TTL)
    assert found.teams_by_source(STALE) == [GIANTS] and found.status(GIANTS, VERLANDER) is True
    assert "HTTP 503" in found.errors[0].detail
    [stale] = [e for e in logs if e["event"].startswith("injured list from a stale cache")]
    assert stale["log_level"] == "warning" and stale["age_hours"] == 9.0
    assert stale["team_id"] == GIANTS and "503" in stale["error"]


def test_without_a_cache_a_failing_source_leaves_the_team_unknown_and_is_asked_once(
    api: FixtureApi, rosters: StatsApiRosters, cache: LocalObjects
) -> None:
    for team in (GIANTS, ATHLETICS):
        api.status[roster_path(team)] = 503
    with capture_logs() as logs:
        found = read_injured_list(D1, [GIANTS, ATHLETICS], rosters, cache, NOW, TTL)
    assert found.teams_by_source(MISSING) == [ATHLETICS, GIANTS]
    assert found.status(GIANTS, VERLANDER) is None and len(found.errors) == 1
    # the source is down after the first team's retries: the second team is not asked
    assert {c.split("?")[0] for c in roster_calls(api)} == {roster_path(ATHLETICS)}
    assert len(roster_calls(api)) == FAST.attempts
    unavailable = [e for e in logs if e["event"].startswith("injured list unavailable")]
    assert [e["team_id"] for e in unavailable] == [ATHLETICS, GIANTS]


def test_a_bad_entry_is_a_problem_and_a_bad_answer_an_error(
    api: FixtureApi, rosters: StatsApiRosters
) -> None:
    body = api.roster(GIANTS, "2025-07-04")
    body["roster"][0]["person"]["id"] = "not-an-id"
    api.overrides[roster_path(GIANTS)] = body
    roster = rosters.roster(GIANTS, D1)
    [problem] = roster.problems
    assert (problem.index, problem.field, problem.value) == (0, "person.id", "not-an-id")
    assert [e.person_id for e in roster.entries] == [519242, VERLANDER, 646240]
    api.overrides[roster_path(GIANTS)] = {"people": []}
    with pytest.raises(SourceDataError, match="without a 'roster' list"):
        rosters.roster(GIANTS, D1)


def _rows(cli_env: dict[str, str], sql: str) -> list[dict]:
    wh = DuckDBWarehouse(cli_env["STRIKEOUTS_WAREHOUSE"])
    try:
        return list(wh.query(sql).to_dict("records"))
    finally:
        wh.close()


@pytest.mark.data
def test_the_injured_starter_is_skipped_end_to_end_from_the_feed_the_cache_and_a_stale_cache(
    api: FixtureApi, cli_env: dict[str, str]
) -> None:
    api.rosters = ROSTERS
    args = ["schedule", "--date", "2025-07-04", "--live"]
    result = CliRunner().invoke(app, args, env=cli_env)
    assert result.exit_code == 0, result.output
    assert "injured list: 30 teams (30 fetched, 0 cached, 0 stale); 1 starters on it" in (
        result.output
    )
    rows = _rows(cli_env, "SELECT * FROM pitcher_strikeout_predictions")
    hurt = [r for r in rows if r["pitcher_id"] == VERLANDER]
    assert hurt and all(r["status"] == "skip" for r in hurt)
    assert all("injured_list" in r["status_reason"] for r in hurt)
    others = [r for r in rows if r["pitcher_id"] != VERLANDER]
    assert not any("injured_list" in list(r["red_flags"]) for r in others)
    fetches = _rows(cli_env, "SELECT * FROM source_fetches WHERE purpose = 'injured_list'")
    assert [(f["status"], f["items"]) for f in fetches] == [("ok", 30)]
    calls = len(roster_calls(api))
    again = CliRunner().invoke(app, args, env=cli_env)
    assert again.exit_code == 0 and "(0 fetched, 30 cached, 0 stale)" in again.output
    assert len(roster_calls(api)) == calls
    # past the TTL with the source down: the stale copies still skip him, with a warning
    for team in {int(c.split("/")[4]) for c in roster_calls(api)}:
        api.status[roster_path(team)] = 503
    stale_env = {**cli_env, "STRIKEOUTS_INJURED_LIST_TTL_HOURS": "0"}
    stale = CliRunner().invoke(app, args, env=stale_env)
    assert stale.exit_code == 0, stale.output
    assert "(0 fetched, 0 cached, 30 stale); 1 starters on it" in stale.output
    assert "rosters failed: 30 teams use their last cached injured list" in stale.output


@pytest.mark.data
def test_without_rosters_or_cache_the_slate_goes_on_and_its_rows_say_so(
    api: FixtureApi, cli_env: dict[str, str]
) -> None:
    morning = api.load("2025-07-04/statsapi/schedule_morning.json")
    for game in morning["dates"][0]["games"]:
        for side in game["teams"].values():
            api.status[roster_path(side["team"]["id"])] = 503
    result = CliRunner().invoke(app, ["schedule", "--date", "2025-07-04", "--live"], env=cli_env)
    assert result.exit_code == 0, result.output
    assert "warning: no injured list for 30 starters" in result.output
    rows = _rows(cli_env, "SELECT * FROM pitcher_strikeout_predictions")
    assert len({(r["game_id"], r["pitcher_id"]) for r in rows}) == 30
    assert all("injured_list_unknown" in list(r["red_flags"]) for r in rows)
    assert not any(r["status"] == "error" for r in rows)
    [fetch] = _rows(cli_env, "SELECT * FROM source_fetches WHERE purpose = 'injured_list'")
    assert fetch["status"] == "failed" and "HTTP 503" in fetch["error"]
