"""``strikeouts fixtures serve|advance``: the offline game day's server answers the real
clients in the APIs' shapes, with its documented key, and moves its day on when asked."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from strikeouts.cli import app
from strikeouts.data.teams import TeamCodes
from strikeouts.devstack.fixture_api import KEY, FixtureApi, serve_in_thread
from strikeouts.sources.odds import OddsApiClient
from strikeouts.sources.ports import FINAL
from strikeouts.sources.statsapi import StatsApiClient

from .conftest import D1, D2, FAST


@pytest.fixture
def served(live_fixtures: Path) -> Iterator[tuple[FixtureApi, str]]:
    api = FixtureApi(live_fixtures, today=D1)
    server, thread = serve_in_thread(api)
    try:
        yield api, f"http://127.0.0.1:{server.port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_the_real_clients_read_the_day_and_the_key_is_checked(
    served: tuple[FixtureApi, str], teams: TeamCodes
) -> None:
    _, url = served
    games = StatsApiClient(url, teams.from_full_name, FAST)
    odds = OddsApiClient(url, KEY, FAST)
    try:
        slate = games.schedule(D1)
        assert len(slate.games) == 15 and FINAL not in {g.state for g in slate.games}
        start = dt.datetime(2025, 7, 4, tzinfo=dt.UTC)
        events, problems = odds.events(start, start + dt.timedelta(days=1, hours=12))
        assert len(events) >= 15 and problems == []
    finally:
        games.close()
        odds.close()
    assert httpx.get(f"{url}/v4/sports/baseball_mlb/events").status_code == 401


def test_advance_makes_yesterday_final(served: tuple[FixtureApi, str], teams: TeamCodes) -> None:
    api, url = served
    result = CliRunner().invoke(app, ["fixtures", "advance", "--url", url])
    assert result.exit_code == 0, result.output
    assert f"fixture server's day: {D2}" in result.output
    assert api.today == D2
    games = StatsApiClient(url, teams.from_full_name, FAST)
    try:
        assert {g.state for g in games.schedule(D1).games} == {FINAL}
        assert FINAL not in {g.state for g in games.schedule(D2).games}
    finally:
        games.close()


def test_a_missing_fixture_folder_is_one_red_line(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    result = CliRunner().invoke(app, ["fixtures", "serve", "--fixtures", str(missing)])
    assert result.exit_code == 2
    assert (
        result.output.strip()
        == f"error: --fixtures {missing}: no such folder (the live fixtures, DATE/statsapi ...)"
    )


def test_the_roster_endpoint_answers_the_real_client(served: tuple[FixtureApi, str]) -> None:
    """Without a roster file a team's 40-man roster is its probables of the day, all active;
    with ``rosters`` (``fixtures serve --rosters``) the hand-built file answers."""
    from strikeouts.sources.rosters import StatsApiRosters, is_injured

    api, url = served
    client = StatsApiRosters(url, FAST)
    try:
        athletics = client.roster(133, D1)
        assert [(e.person_id, e.status_code) for e in athletics.entries] == [(676664, "A")]
        api.rosters = Path(__file__).parent / "rosters"
        giants = client.roster(137, D1)
        assert [e.person_id for e in giants.entries if is_injured(e.status_code)] == [434378]
    finally:
        client.close()


def test_a_missing_rosters_folder_is_one_red_line(live_fixtures: Path, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    args = ["fixtures", "serve", "--fixtures", str(live_fixtures), "--rosters", str(missing)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2 and f"--rosters {missing}: no such folder" in result.output
