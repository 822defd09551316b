"""The Odds API adapter and the consensus line, against a local server serving the fixtures."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from strikeouts.sources.consensus import american, consensus, implied, median_price
from strikeouts.sources.http import SourceDataError, SourceDown
from strikeouts.sources.odds import EVENTS_PATH, OddsApiClient
from strikeouts.sources.ports import LineQuote, OddsEvent

Load = Callable[[str], Any]
EVENT = "0a71aa25c5a06a81d5fface3760c6f03"
START = dt.datetime(2025, 7, 4, 8, tzinfo=dt.UTC)
END = dt.datetime(2025, 7, 5, 12, tzinfo=dt.UTC)


def _event(load: Load) -> OddsEvent:
    raw = next(e for e in load("2025-07-04/odds/events.json") if e["id"] == EVENT)
    return OddsEvent(
        EVENT,
        dt.datetime.fromisoformat(raw["commence_time"].replace("Z", "+00:00")),
        raw["home_team"],
        raw["away_team"],
    )


def test_events_in_window_with_key_and_quota(
    httpserver: HTTPServer, odds: OddsApiClient, load: Load
) -> None:
    raw = load("2025-07-04/odds/events.json")
    httpserver.expect_request(
        EVENTS_PATH,
        query_string={
            "apiKey": "SECRET-KEY-123",
            "commenceTimeFrom": "2025-07-04T08:00:00Z",
            "commenceTimeTo": "2025-07-05T12:00:00Z",
        },
    ).respond_with_json(raw, headers={"x-requests-remaining": "497", "x-requests-used": "3"})
    events, problems = odds.events(START, END)
    assert problems == [] and len(events) == len(raw)
    assert {e.event_id for e in events} == {e["id"] for e in raw}
    assert odds.requests_remaining == "497"


def test_event_odds_quotes_and_snapshot_time(
    httpserver: HTTPServer, odds: OddsApiClient, load: Load
) -> None:
    raw = load(f"2025-07-04/odds/event_{EVENT}_odds.json")
    httpserver.expect_request(
        f"/v4/sports/baseball_mlb/events/{EVENT}/odds",
        query_string={
            "apiKey": "SECRET-KEY-123",
            "regions": "us",
            "markets": "pitcher_strikeouts",
            "oddsFormat": "american",
        },
    ).respond_with_json(raw)
    got = odds.event_odds(_event(load))
    outcomes = [o for b in raw["bookmakers"] for m in b["markets"] for o in m["outcomes"]]
    assert len(got.quotes) * 2 == len(outcomes)
    assert got.snapshot_at == dt.datetime(2025, 7, 4, 10, 17, 40, tzinfo=dt.UTC)
    assert "SECRET" not in got.url and "apiKey=%2A%2A%2A" in got.url
    giolito = [q for q in got.quotes if q.pitcher_name == "Lucas Giolito"]
    assert {q.book for q in giolito} == {b["key"] for b in raw["bookmakers"]}


def test_bad_outcomes_become_problems(
    httpserver: HTTPServer, odds: OddsApiClient, load: Load
) -> None:
    raw = load(f"2025-07-04/odds/event_{EVENT}_odds.json")
    outcomes = raw["bookmakers"][0]["markets"][0]["outcomes"]
    outcomes[0]["price"] = 3
    del outcomes[1]["description"]
    httpserver.expect_request(f"/v4/sports/baseball_mlb/events/{EVENT}/odds").respond_with_json(raw)
    got = odds.event_odds(_event(load))
    assert {(p.field, p.value) for p in got.problems} == {
        ("outcomes.price", "3"),
        ("description", None),
    }
    assert all(
        json.loads(p.raw or "{}")["book"] == raw["bookmakers"][0]["key"] for p in got.problems
    )


def test_401_is_a_data_error_without_the_key(httpserver: HTTPServer, odds: OddsApiClient) -> None:
    httpserver.expect_request(EVENTS_PATH).respond_with_json(
        {"message": "API key is not valid"}, status=401
    )
    with pytest.raises(SourceDataError) as info:
        odds.events(START, END)
    assert "HTTP 401" in str(info.value) and "SECRET-KEY-123" not in str(info.value)


def test_quota_exhausted_429_ends_down_without_the_key(
    httpserver: HTTPServer, odds: OddsApiClient, sleeps: list[float]
) -> None:
    httpserver.expect_request(EVENTS_PATH).respond_with_data("quota", status=429)
    with pytest.raises(SourceDown) as info:
        odds.events(START, END)
    assert "SECRET-KEY-123" not in str(info.value) and len(sleeps) == 3


def test_events_answer_that_is_not_a_list(httpserver: HTTPServer, odds: OddsApiClient) -> None:
    httpserver.expect_request(EVENTS_PATH).respond_with_json({"message": "oops"})
    with pytest.raises(SourceDataError, match="not a list"):
        odds.events(START, END)


def test_a_key_is_required() -> None:
    with pytest.raises(ValueError, match="STRIKEOUTS_ODDS_API_KEY"):
        OddsApiClient("http://127.0.0.1:9", "")


def _q(book: str, point: float, over: int, under: int) -> LineQuote:
    return LineQuote(book, "A Pitcher", point, over, under)


def test_consensus_main_line_is_the_point_most_books_offer() -> None:
    quotes = [
        _q("a", 5.5, -120, -105),
        _q("b", 5.5, -110, -110),
        _q("c", 5.5, -130, 100),
        _q("d", 4.5, -200, 150),
        _q("d", 5.5, -115, -115),
        _q("e", 6.5, 140, -180),
    ]
    [one] = consensus(quotes)
    assert (one.line, one.n_books, one.n_lines) == (5.5, 4, 3)
    probs = sorted(implied(p) for p in (-120, -110, -130, -115))
    assert one.over == american((probs[1] + probs[2]) / 2)
    unders = sorted(implied(p) for p in (-105, -110, 100, -115))
    assert one.under == american((unders[1] + unders[2]) / 2)
    assert set(json.loads(one.all_lines_json)) == {"4.5", "5.5", "6.5"}
    assert set(json.loads(one.main_line_books_json)) == {"a", "b", "c", "d"}


def test_consensus_tie_goes_to_the_balanced_point() -> None:
    [one] = consensus([_q("a", 4.5, -180, 140), _q("b", 5.5, -105, -115)])
    assert one.line == 5.5


def test_median_price_straddling_even_money_is_a_price() -> None:
    assert median_price([-105, 105]) in (-100, 100)
    assert median_price([None, None]) is None
    assert american(implied(-150)) == -150 and american(implied(130)) == 130
