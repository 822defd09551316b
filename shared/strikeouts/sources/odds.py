"""The Odds API v4 adapter: MLB events in a time window, then pitcher-strikeout odds per event.

Invariant: the key travels only as the ``apiKey`` query parameter and never reaches a log or
an error (URLs are redacted); the remaining-requests header is logged after every call. An
outcome that cannot be parsed is a :class:`Problem`, the rest of the event is used.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any

from strikeouts.logs import get_logger
from strikeouts.sources import parse
from strikeouts.sources.http import JsonClient, Response, RetryPolicy, SourceDataError
from strikeouts.sources.parse import Bad
from strikeouts.sources.ports import EventOdds, LineQuote, OddsEvent, Problem

log = get_logger(__name__)

SOURCE = "odds-api"
SPORT = "baseball_mlb"
MARKET = "pitcher_strikeouts"
EVENTS_PATH = f"/v4/sports/{SPORT}/events"
ODDS_PATH = f"/v4/sports/{SPORT}/events/{{event_id}}/odds"


def iso_z(stamp: dt.datetime) -> str:
    """``2025-07-04T12:00:00Z``: the time format the Odds API accepts."""
    return stamp.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class OddsApiClient:
    """:class:`~strikeouts.sources.ports.LinesSource` over The Odds API v4."""

    def __init__(self, base_url: str, api_key: str, policy: RetryPolicy | None = None) -> None:
        if not api_key:
            raise ValueError("the Odds API needs a key: set STRIKEOUTS_ODDS_API_KEY")
        self.http = JsonClient(SOURCE, base_url, policy, default_params={"apiKey": api_key})
        self.requests_remaining: str | None = None

    def events(self, start: dt.datetime, end: dt.datetime) -> tuple[list[OddsEvent], list[Problem]]:
        """Every MLB event commencing in ``start``..``end``; unparsable ones as problems."""
        answer = self._get(
            EVENTS_PATH, {"commenceTimeFrom": iso_z(start), "commenceTimeTo": iso_z(end)}
        )
        if not isinstance(answer.data, list):
            raise SourceDataError(SOURCE, answer.url, "events answer is not a list")
        events: list[OddsEvent] = []
        problems: list[Problem] = []
        for i, item in enumerate(answer.data):
            try:
                events.append(_event(item))
            except Bad as exc:
                problems.append(parse.problem(answer.url, i, exc, item))
        return events, problems

    def event_odds(self, event: OddsEvent) -> EventOdds:
        """Every book's pitcher-strikeout quotes of one event, as answered now."""
        answer = self._get(
            ODDS_PATH.format(event_id=event.event_id),
            {"regions": "us", "markets": MARKET, "oddsFormat": "american"},
        )
        data = answer.data
        if not isinstance(data, dict) or not isinstance(data.get("bookmakers"), list):
            raise SourceDataError(SOURCE, answer.url, "event odds without a 'bookmakers' list")
        quotes, problems, updated = _quotes(answer.url, data["bookmakers"])
        return EventOdds(
            event_id=event.event_id,
            commence_time=event.commence_time,
            home_name=event.home_name,
            away_name=event.away_name,
            snapshot_at=max(updated) if updated else dt.datetime.now(dt.UTC),
            url=answer.url,
            quotes=quotes,
            problems=problems,
        )

    def close(self) -> None:
        """Close the HTTP connections."""
        self.http.close()

    def _get(self, path: str, params: dict[str, str | int]) -> Response:
        answer = self.http.get(path, params)
        remaining = answer.headers.get("x-requests-remaining")
        if remaining is not None:
            self.requests_remaining = remaining
        log.info(
            "odds api quota",
            url=answer.url,
            requests_remaining=remaining,
            requests_used=answer.headers.get("x-requests-used"),
        )
        return answer


def _event(item: Any) -> OddsEvent:
    return OddsEvent(
        event_id=parse.text(item, "id"),
        commence_time=parse.timestamp(item, "commence_time"),
        home_name=parse.text(item, "home_team"),
        away_name=parse.text(item, "away_team"),
    )


def _quotes(
    url: str, bookmakers: list[Any]
) -> tuple[list[LineQuote], list[Problem], list[dt.datetime]]:
    """Over and Under prices paired per (book, pitcher, point)."""
    pairs: dict[tuple[str, str, float], dict[str, int]] = {}
    problems: list[Problem] = []
    updated: list[dt.datetime] = []
    index = 0
    for book in bookmakers:
        key = str(parse.opt(book, "key") or "?")
        for market in parse.opt(book, "markets") or []:
            if parse.opt(market, "key") != MARKET:
                continue
            if parse.opt(market, "last_update") is not None:
                # the time only orders snapshots: a bad one still leaves good quotes
                with contextlib.suppress(Bad):
                    updated.append(parse.timestamp(market, "last_update"))
            for outcome in parse.opt(market, "outcomes") or []:
                index += 1
                try:
                    side, name, point, price = _outcome(outcome)
                except Bad as exc:
                    problems.append(parse.problem(url, index, exc, {"book": key, **_dict(outcome)}))
                    continue
                pairs.setdefault((key, name, point), {})[side] = price
    quotes = [
        LineQuote(book, name, point, prices.get("Over"), prices.get("Under"))
        for (book, name, point), prices in sorted(pairs.items())
    ]
    return quotes, problems, updated


def _outcome(outcome: Any) -> tuple[str, str, float, int]:
    side = parse.text(outcome, "name")
    if side not in ("Over", "Under"):
        raise Bad("outcomes.name", side, "neither Over nor Under")
    name = parse.text(outcome, "description")
    point = parse.at(outcome, "point")
    if isinstance(point, bool) or not isinstance(point, int | float) or not 0 <= point <= 20:
        raise Bad("outcomes.point", point, "not a strikeout line between 0 and 20")
    price = parse.at(outcome, "price")
    if isinstance(price, bool) or not isinstance(price, int | float) or abs(price) < 100:
        raise Bad("outcomes.price", price, "not an American price (|price| >= 100)")
    return side, name, float(point), int(price)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {"value": value}
