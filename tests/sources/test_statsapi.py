"""The Stats API adapter against a local HTTP server serving the shared fixtures and variants."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from strikeouts.sources.http import RetryPolicy, SourceDataError, SourceDown
from strikeouts.sources.ports import FINAL, OTHER, POSTPONED, SCHEDULED, SUSPENDED
from strikeouts.sources.statsapi import SCHEDULE_PATH, StatsApiClient

DAY = dt.date(2025, 7, 4)
Load = Callable[[str], Any]
MORNING = "2025-07-04/statsapi/schedule_morning.json"


def _games(schedule: dict[str, Any]) -> list[dict[str, Any]]:
    games: list[dict[str, Any]] = schedule["dates"][0]["games"]
    return games


def _serve_schedule(httpserver: HTTPServer, body: Any) -> None:
    httpserver.expect_request(
        SCHEDULE_PATH,
        query_string={"sportId": "1", "date": "2025-07-04", "hydrate": "probablePitcher,team"},
    ).respond_with_json(body)


def test_morning_schedule_parses_every_game_with_probables(
    httpserver: HTTPServer, statsapi: StatsApiClient, load: Load
) -> None:
    raw = load(MORNING)
    _serve_schedule(httpserver, raw)
    schedule = statsapi.schedule(DAY)
    assert schedule.problems == []
    assert len(schedule.games) == len(_games(raw)) == 15
    first = next(g for g in schedule.games if g.game_pk == 777235)
    assert (first.home_code, first.away_code) == ("LAD", "HOU")
    assert first.home_probable is not None and first.home_probable.pitcher_id == 676508
    assert first.away_probable is not None and first.away_probable.name == "Lance McCullers"
    assert first.game_time == dt.datetime(2025, 7, 5, 1, 11, tzinfo=dt.UTC)
    assert first.state == SCHEDULED and not first.void


def test_final_schedule_is_final(
    httpserver: HTTPServer, statsapi: StatsApiClient, load: Load
) -> None:
    _serve_schedule(httpserver, load("2025-07-04/statsapi/schedule_final.json"))
    assert {g.state for g in statsapi.schedule(DAY).games} == {FINAL}


def test_doubleheader_postponed_suspended_and_tbd(
    httpserver: HTTPServer, statsapi: StatsApiClient, load: Load
) -> None:
    raw = load(MORNING)
    games = _games(raw)
    second = {**games[0], "gamePk": 999001, "gameNumber": 2, "doubleHeader": "S"}
    second["gameDate"] = "2025-07-05T05:10:00Z"
    games[0]["doubleHeader"] = "S"
    games.append(second)
    games[1]["status"] = {"codedGameState": "D", "detailedState": "Postponed"}
    games[2]["status"] = {"codedGameState": "T", "detailedState": "Suspended: Rain"}
    del games[3]["teams"]["home"]["probablePitcher"]
    games[4]["status"] = {"codedGameState": "I", "detailedState": "In Progress"}
    games[5]["status"] = {"codedGameState": "P", "detailedState": "Pre-Game"}
    _serve_schedule(httpserver, raw)
    by_pk = {g.game_pk: g for g in statsapi.schedule(DAY).games}
    pair = [by_pk[games[0]["gamePk"]], by_pk[999001]]
    assert [g.game_number for g in pair] == [1, 2] and all(g.doubleheader for g in pair)
    assert by_pk[games[1]["gamePk"]].state == POSTPONED and by_pk[games[1]["gamePk"]].void
    assert by_pk[games[2]["gamePk"]].state == SUSPENDED and by_pk[games[2]["gamePk"]].void
    assert by_pk[games[3]["gamePk"]].home_probable is None
    assert by_pk[games[3]["gamePk"]].away_probable is not None
    assert by_pk[games[4]["gamePk"]].state == OTHER and not by_pk[games[4]["gamePk"]].void
    assert by_pk[games[5]["gamePk"]].state == SCHEDULED


def test_bad_games_become_problems_naming_the_field(
    httpserver: HTTPServer, statsapi: StatsApiClient, load: Load
) -> None:
    raw = load(MORNING)
    games = _games(raw)
    games[0]["teams"]["home"]["team"]["name"] = "Brooklyn Robins"
    games[0]["teams"]["home"]["team"]["abbreviation"] = "BRO"
    del games[1]["gamePk"]
    games[2]["gameDate"] = "tomorrow"
    _serve_schedule(httpserver, raw)
    schedule = statsapi.schedule(DAY)
    assert len(schedule.games) == 12
    found = {(p.index, p.field, p.value) for p in schedule.problems}
    assert found == {
        (0, "teams.home.team.name", "Brooklyn Robins"),
        (1, "gamePk", None),
        (2, "gameDate", "tomorrow"),
    }
    assert all(
        p.raw and p.source_url.endswith("hydrate=probablePitcher%2Cteam") for p in schedule.problems
    )


def test_schedule_without_dates_is_a_data_error(
    httpserver: HTTPServer, statsapi: StatsApiClient
) -> None:
    _serve_schedule(httpserver, {"copyright": "x"})
    with pytest.raises(SourceDataError, match="'dates'"):
        statsapi.schedule(DAY)


def test_boxscore_starters_carry_the_fixture_values(
    httpserver: HTTPServer, statsapi: StatsApiClient, load: Load
) -> None:
    raw = load("2025-07-04/statsapi/boxscore_777235.json")
    httpserver.expect_request("/api/v1/game/777235/boxscore").respond_with_json(raw)
    box = statsapi.boxscore(777235)
    assert box.problems == []
    home = box.starters["home"]
    stats = raw["teams"]["home"]["players"]["ID676508"]["stats"]["pitching"]
    assert (home.pitcher_id, home.strikeouts, home.outs) == (
        676508,
        stats["strikeOuts"],
        stats["outs"],
    )
    assert (home.batters_faced, home.pitches, home.walks, home.hits, home.runs) == (
        stats["battersFaced"],
        stats["numberOfPitches"],
        stats["baseOnBalls"],
        stats["hits"],
        stats["runs"],
    )
    assert box.starters["away"].pitcher_id == 621121


def test_opener_is_the_starter_not_the_bulk_pitcher(
    httpserver: HTTPServer, statsapi: StatsApiClient, load: Load
) -> None:
    raw = load("2025-07-04/statsapi/boxscore_777235.json")
    side = raw["teams"]["home"]
    bulk = {
        "person": {"id": 111111, "fullName": "Bulk Guy"},
        "stats": {"pitching": {"gamesStarted": 0, "strikeOuts": 7, "outs": 18}},
    }
    side["players"]["ID111111"] = bulk
    opener = side["players"]["ID676508"]["stats"]["pitching"]
    opener.update({"strikeOuts": 1, "outs": 3, "battersFaced": 4})
    side["pitchers"] = [676508, 111111]
    httpserver.expect_request("/api/v1/game/777235/boxscore").respond_with_json(raw)
    home = statsapi.boxscore(777235).starters["home"]
    assert (home.pitcher_id, home.strikeouts, home.outs, home.games_started) == (676508, 1, 3, 1)


def test_boxscore_side_without_stats_is_a_problem(
    httpserver: HTTPServer, statsapi: StatsApiClient, load: Load
) -> None:
    raw = load("2025-07-04/statsapi/boxscore_777235.json")
    del raw["teams"]["away"]["players"]["ID621121"]["stats"]["pitching"]["strikeOuts"]
    httpserver.expect_request("/api/v1/game/777235/boxscore").respond_with_json(raw)
    box = statsapi.boxscore(777235)
    assert set(box.starters) == {"home"}
    [problem] = box.problems
    assert problem.field == "teams.away.players.ID621121.stats.pitching.strikeOuts"
    assert problem.reason == "missing" and "621121" in (problem.raw or "")


def test_500_then_success(
    httpserver: HTTPServer, statsapi: StatsApiClient, load: Load, sleeps: list[float]
) -> None:
    httpserver.expect_oneshot_request(SCHEDULE_PATH).respond_with_data("oops", status=500)
    httpserver.expect_oneshot_request(SCHEDULE_PATH).respond_with_data("oops", status=502)
    httpserver.expect_request(SCHEDULE_PATH).respond_with_json(load(MORNING))
    assert len(statsapi.schedule(DAY).games) == 15
    assert len(sleeps) == 2 and all(0 <= s <= 0.05 for s in sleeps)
    assert len(httpserver.log) == 3


def test_429_honours_retry_after(
    httpserver: HTTPServer, statsapi: StatsApiClient, load: Load, sleeps: list[float]
) -> None:
    httpserver.expect_oneshot_request(SCHEDULE_PATH).respond_with_data(
        "slow down", status=429, headers={"Retry-After": "2"}
    )
    httpserver.expect_request(SCHEDULE_PATH).respond_with_json(load(MORNING))
    assert len(statsapi.schedule(DAY).games) == 15
    assert sleeps == [2.0]


def test_source_that_stays_down_raises_one_clear_error(
    httpserver: HTTPServer, statsapi: StatsApiClient, sleeps: list[float]
) -> None:
    httpserver.expect_request(SCHEDULE_PATH).respond_with_data("down", status=503)
    with pytest.raises(SourceDown, match=r"statsapi: still failing after retries: HTTP 503"):
        statsapi.schedule(DAY)
    assert len(httpserver.log) == 4 and len(sleeps) == 3


def test_timeouts_are_retried_then_down(httpserver: HTTPServer, statsapi: StatsApiClient) -> None:
    release = threading.Event()

    def slow(_: Request) -> Response:
        release.wait(5.0)  # held until the client gave up, then freed for the next test
        return Response("{}", content_type="application/json")

    httpserver.expect_request(SCHEDULE_PATH).respond_with_handler(slow)
    statsapi.http.policy = RetryPolicy(
        timeout_seconds=0.2,
        attempts=2,
        total_seconds=5.0,
        backoff_initial_seconds=0.01,
        backoff_max_seconds=0.01,
    )
    try:
        with pytest.raises(SourceDown, match="timeout"):
            statsapi.schedule(DAY)
    finally:
        release.set()
    time.sleep(0.1)  # let the single-threaded server answer the abandoned requests


def test_malformed_json_is_a_data_error_not_retried(
    httpserver: HTTPServer, statsapi: StatsApiClient, sleeps: list[float]
) -> None:
    httpserver.expect_request(SCHEDULE_PATH).respond_with_data(
        '{"dates": [', content_type="application/json"
    )
    with pytest.raises(SourceDataError, match="malformed JSON"):
        statsapi.schedule(DAY)
    assert sleeps == [] and len(httpserver.log) == 1
