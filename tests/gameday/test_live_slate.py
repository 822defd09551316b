"""Live slates and lines snapshots: matching, what is left off, and sources that fail."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from typer.testing import CliRunner

from strikeouts.cli import app
from strikeouts.data.teams import TeamCodes
from strikeouts.gameday.games import game_ids
from strikeouts.gameday.lines import snapshot_lines
from strikeouts.gameday.slate import live_event
from strikeouts.models.systems import system_ids
from strikeouts.sources.odds import OddsApiClient
from strikeouts.sources.statsapi import StatsApiClient
from strikeouts.warehouse.duckdb_backend import DuckDBWarehouse

from .conftest import D1
from .fixture_api import FixtureApi

pytestmark = pytest.mark.data

NOW = dt.datetime(2025, 7, 4, 12, tzinfo=dt.UTC)
WINDOW = dt.timedelta(hours=6)
VERSIONS = {"v1_baseline": "v1", "v1_6_rolling": "v1"}


def _slate(
    api: FixtureApi,
    statsapi: StatsApiClient,
    odds: OddsApiClient,
    warehouse: DuckDBWarehouse,
    teams: TeamCodes,
) -> tuple[dict, object, object]:
    schedule = statsapi.schedule(D1)
    ids = game_ids(warehouse, D1, schedule.games, teams)
    lines = snapshot_lines(schedule.games, ids, odds, warehouse, teams, WINDOW, NOW)
    event, report = live_event(D1, schedule.games, ids, warehouse, NOW, VERSIONS)
    return event, report, lines


def test_morning_slate_has_every_probable_and_a_line_with_its_snapshot_time(
    api: FixtureApi,
    statsapi: StatsApiClient,
    odds: OddsApiClient,
    warehouse: DuckDBWarehouse,
    teams: TeamCodes,
) -> None:
    event, report, lines = _slate(api, statsapi, odds, warehouse, teams)
    assert (report.games, report.starters, report.tbd, report.void) == (15, 30, 0, 0)
    assert lines.matched_events == lines.events == 15 and lines.rejected == 0
    giolito = next(
        s for g in event["games"] for s in g["starters"] if s.get("pitcher_name") == "Lucas Giolito"
    )
    assert (
        giolito["line"]["line"] == 5.5 and giolito["line"]["snapshot_at"] == "2025-07-04T10:17:40Z"
    )
    game = next(g for g in event["games"] if g["game_pk"] == 777235)
    assert game["game_time"] == "2025-07-05T01:11:00Z" and game["home_team"] == "LAD"


def test_tbd_postponed_and_doubleheader_games(
    api: FixtureApi,
    statsapi: StatsApiClient,
    odds: OddsApiClient,
    warehouse: DuckDBWarehouse,
    teams: TeamCodes,
) -> None:
    morning = api.load("2025-07-04/statsapi/schedule_morning.json")
    games = morning["dates"][0]["games"]
    del games[0]["teams"]["home"]["probablePitcher"]
    games[1]["status"] = {"codedGameState": "D", "detailedState": "Postponed"}
    nightcap = {**games[2], "gamePk": 999002, "gameNumber": 2, "doubleHeader": "Y"}
    games[2]["doubleHeader"] = "Y"
    nightcap["gameDate"] = "2025-07-05T08:30:00Z"  # far later than the event's commence time
    games.append(nightcap)
    api.overrides["schedule:2025-07-04"] = morning
    event, report, _ = _slate(api, statsapi, odds, warehouse, teams)
    assert (report.tbd, report.void) == (1, 1)
    by_pk = {g["game_pk"]: g for g in event["games"]}
    assert games[1]["gamePk"] not in by_pk
    assert len(by_pk[games[0]["gamePk"]]["starters"]) == 1
    first, second = by_pk[games[2]["gamePk"]], by_pk[999002]
    assert first["game_id"][-1] == "1" and second["game_id"][-1] == "2"
    assert all("line" in s for s in first["starters"])  # the event matched game 1 by time
    assert not any("line" in s for s in second["starters"])


def test_an_event_matching_no_game_is_rejected(
    api: FixtureApi,
    statsapi: StatsApiClient,
    odds: OddsApiClient,
    warehouse: DuckDBWarehouse,
    teams: TeamCodes,
) -> None:
    events = api.load("2025-07-04/odds/events.json")
    events[0] = {**events[0], "home_team": "Toronto Blue Jays", "away_team": "Colorado Rockies"}
    api.overrides["/v4/sports/baseball_mlb/events"] = events
    _, _, lines = _slate(api, statsapi, odds, warehouse, teams)
    assert (lines.events, lines.matched_events, lines.rejected) == (15, 14, 1)
    rejected = warehouse.query(
        "SELECT * FROM rejected_rows WHERE target_table = 'prop_line_snapshots'"
    )
    assert list(rejected["column_name"]) == ["home_team,away_team"]
    assert "Colorado Rockies @ Toronto Blue Jays" in rejected["value"].iloc[0]
    assert "event matches no game" in rejected["reason"].iloc[0]


@pytest.mark.parametrize(
    ("path", "status", "named"),
    [
        ("/v4/sports/baseball_mlb/events", 503, "odds-api: still failing after retries: HTTP 503"),
        ("/api/v1/schedule", 500, "statsapi: still failing after retries: HTTP 500"),
    ],
)
def test_a_source_that_stays_down_is_one_red_line_a_failed_fetch_and_no_rows(
    api: FixtureApi, cli_env: dict[str, str], path: str, status: int, named: str
) -> None:
    api.status[path] = status
    result = CliRunner().invoke(app, ["schedule", "--date", "2025-07-04", "--live"], env=cli_env)
    assert result.exit_code == 2 and named in result.output, result.output
    assert "Traceback" not in result.output and "fixture-key" not in result.output
    wh = DuckDBWarehouse(cli_env["STRIKEOUTS_WAREHOUSE"])
    try:
        failed = wh.query("SELECT * FROM source_fetches WHERE status = 'failed'")
        assert len(failed) == 1 and status == int(failed["error"].iloc[0].split()[-1])
        assert wh.row_count("pitcher_strikeout_predictions") == 0
    finally:
        wh.close()


def test_malformed_json_is_one_red_line(api: FixtureApi, cli_env: dict[str, str]) -> None:
    api.overrides["/api/v1/schedule"] = "not json at all"
    result = CliRunner().invoke(app, ["results", "--date", "2025-07-04", "--live"], env=cli_env)
    assert result.exit_code == 2 and "statsapi" in result.output, result.output
    assert "Traceback" not in result.output


def test_a_probable_new_to_the_register_and_the_warehouse_is_still_predicted(
    api: FixtureApi, cli_env: dict[str, str]
) -> None:
    morning = api.load("2025-07-04/statsapi/schedule_morning.json")
    game = morning["dates"][0]["games"][0]
    game["teams"]["home"]["probablePitcher"] = {"id": 999999, "fullName": "Rookie Newman"}
    api.overrides["schedule:2025-07-04"] = morning
    result = CliRunner().invoke(app, ["schedule", "--date", "2025-07-04", "--live"], env=cli_env)
    assert result.exit_code == 0, result.output
    wh = DuckDBWarehouse(cli_env["STRIKEOUTS_WAREHOUSE"])
    try:
        rows = wh.query("SELECT * FROM pitcher_strikeout_predictions WHERE pitcher_id = 999999")
    finally:
        wh.close()
    assert set(rows["system_id"]) == {*system_ids(), "ensemble_v1"}
    ens = rows[rows["system_id"] == "ensemble_v1"].iloc[0]
    assert ens["pitcher_name"] == "Rookie Newman"
    # no history: a skip with its red flag, or a prediction whose coverage says so
    assert ens["status"] == "skip" or float(ens["feature_coverage"]) < 0.5
    assert pd.isna(ens["line"])  # the feed's line for that game's home starter names another man


def test_publish_sends_the_live_event_instead_of_running_it(
    api: FixtureApi, cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[tuple[str, dict]] = []

    class Recorder:
        def publish(self, topic: str, message: dict, attributes: object = None) -> str:
            sent.append((topic, message))
            return "1"

        def flush(self) -> list[str]:
            return ["m-1"]

    monkeypatch.setattr(
        "strikeouts.cloud.pubsub.PubSubPublisher.from_settings", lambda _settings: Recorder()
    )
    args = ["schedule", "--date", "2025-07-04", "--live", "--backend", "cloud"]
    result = CliRunner().invoke(app, args, env=cli_env)
    assert result.exit_code == 0, result.output
    [(topic, event)] = sent
    assert topic == "game-schedule" and len(event["games"]) == 15
    assert f"run_id {event['run_id']} (message m-1)" in result.output
    wh = DuckDBWarehouse(cli_env["STRIKEOUTS_WAREHOUSE"])
    try:
        assert wh.row_count("pitcher_strikeout_predictions") == 0  # published, not run here
        assert wh.row_count("prop_line_snapshots") > 0
    finally:
        wh.close()


def test_publish_that_cannot_reach_pubsub_is_one_red_line(
    api: FixtureApi, cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def unreachable(_settings: object) -> object:
        raise RuntimeError("no credentials for Pub/Sub")

    monkeypatch.setattr("strikeouts.cloud.pubsub.PubSubPublisher.from_settings", unreachable)
    args = ["schedule", "--date", "2025-07-04", "--live", "--backend", "cloud"]
    result = CliRunner().invoke(app, args, env=cli_env)
    assert result.exit_code == 2 and "cannot publish to Pub/Sub" in result.output
    assert "no credentials" in result.output and "Traceback" not in result.output
