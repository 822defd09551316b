"""The offline game day: the shared fixture files served in the shapes of the MLB Stats API and
The Odds API, on 127.0.0.1, with the key :data:`KEY` (``strikeouts fixtures serve``).

Invariant: a schedule of a date before the server's ``today`` answers its final file, any other
date its morning file (a date without fixtures: an off day, no games); ``POST
/fixtures/advance`` moves ``today`` one day on, so the games of the day before become final.
The Odds API paths answer 401 without ``apiKey=KEY``, as the real one does without a key. Any
path can be overridden with a crafted body or a status code (the tests' variants).

A team's 40-man roster (``/api/v1/teams/ID/roster?rosterType=40Man&date=DATE``) answers
``DATE/statsapi/roster_ID.json`` from the fixture folder or the ``rosters`` folder; without
such a file it answers a roster built from the date's schedule: the team's probable starters,
every one ``Active`` (the shared fixtures hold no rosters, so nobody is on the injured list
unless a roster file says so).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from werkzeug import Request, Response
from werkzeug.serving import BaseWSGIServer, make_server

BOXSCORE = re.compile(r"^/api/v1/game/(\d+)/boxscore$")
ROSTER = re.compile(r"^/api/v1/teams/(\d+)/roster$")
ODDS = re.compile(r"^/v4/sports/baseball_mlb/events/(\w+)/odds$")
EVENTS = "/v4/sports/baseball_mlb/events"
ADVANCE = "/fixtures/advance"
TODAY = "/fixtures/today"
KEY = "fixture-key"
"""The Odds API key the fixture server accepts (STRIKEOUTS_ODDS_API_KEY=fixture-key)."""


@dataclass
class FixtureApi:
    """Serves ``live/DATE/...`` files by endpoint; ``final`` dates get the final schedule."""

    root: Path
    final: set[str] = field(default_factory=set)
    overrides: dict[str, Any] = field(default_factory=dict)
    status: dict[str, int] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    today: dt.date | None = None
    """Dates before it are final (None: only the ``final`` ones)."""
    rosters: Path | None = None
    """A second folder of ``DATE/statsapi/roster_TEAMID.json`` files (hand-built rosters)."""

    def load(self, relative: str) -> Any:
        return copy.deepcopy(json.loads((self.root / relative).read_text()))

    def days(self) -> list[str]:
        return sorted(p.name for p in self.root.iterdir() if p.is_dir())

    def is_final(self, day: str) -> bool:
        return day in self.final or (self.today is not None and day < self.today.isoformat())

    def schedule(self, day: str) -> Any:
        if f"schedule:{day}" in self.overrides:
            return copy.deepcopy(self.overrides[f"schedule:{day}"])
        phase = "final" if self.is_final(day) else "morning"
        if not (self.root / day).is_dir():
            return {"totalGames": 0, "dates": []}  # a date without games (off day)
        return self.load(f"{day}/statsapi/schedule_{phase}.json")

    def roster(self, team_id: int, day: str) -> Any:
        """The team's 40-man roster file of ``day``, else its probables of ``day``, active."""
        relative = f"{day}/statsapi/roster_{team_id}.json"
        for folder in (self.root, self.rosters):
            if folder is not None and (folder / relative).is_file():
                return copy.deepcopy(json.loads((folder / relative).read_text()))
        dates = self.schedule(day).get("dates") or []
        sides = [
            side
            for d in dates
            for game in d.get("games") or []
            for side in game["teams"].values()
            if side["team"].get("id") == team_id and side.get("probablePitcher")
        ]
        return {
            "copyright": "fixture: built from the schedule's probable pitchers",
            "roster": [_active(side["probablePitcher"], team_id) for side in sides],
            "link": f"/api/v1/teams/{team_id}/roster",
            "teamId": team_id,
            "rosterType": "40Man",
        }

    def advance(self) -> dt.date:
        """One day on: the games of the old ``today`` are final now."""
        start = self.today or dt.date.fromisoformat(self.days()[0])
        self.today = start + dt.timedelta(days=1)
        return self.today

    def handle(self, request: Request) -> Response:
        self.calls.append(request.full_path)
        path = request.path
        if path in self.status:
            return Response("failure", status=self.status[path])
        if path in self.overrides:
            return _json(self.overrides[path])
        if path == ADVANCE and request.method == "POST":
            return _json({"today": self.advance().isoformat()})
        if path == TODAY:
            return _json({"today": None if self.today is None else self.today.isoformat()})
        if path.startswith("/v4/") and request.args.get("apiKey") != KEY:
            return _json({"message": "API key is not valid"}, 401)
        body = self._body(request)
        return _json(body) if body is not None else _json({"message": "not found"}, 404)

    def wsgi(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        """The WSGI application of :meth:`handle`."""
        response = self.handle(Request(environ))
        return response(environ, start_response)

    def _body(self, request: Request) -> Any:
        path = request.path
        if path == "/api/v1/schedule":
            return self.schedule(request.args["date"])
        if match := ROSTER.match(path):
            day = request.args.get("date") or (self.today or dt.date.today()).isoformat()
            return self.roster(int(match.group(1)), day)
        if match := BOXSCORE.match(path):
            return self._find(f"statsapi/boxscore_{match.group(1)}.json")
        if path == EVENTS:
            start, end = request.args["commenceTimeFrom"], request.args["commenceTimeTo"]
            events = [e for day in self.days() for e in self.load(f"{day}/odds/events.json")]
            return [e for e in events if start <= e["commence_time"] <= end]
        if match := ODDS.match(path):
            return self._find(f"odds/event_{match.group(1)}_odds.json")
        return None

    def _find(self, relative: str) -> Any:
        for day in self.days():
            if (self.root / day / relative).is_file():
                return self.load(f"{day}/{relative}")
        return None


def _active(person: dict[str, Any], team_id: int) -> dict[str, Any]:
    """A roster entry, in the Stats API's shape, of an active pitcher."""
    return {
        "person": {key: person[key] for key in ("id", "fullName", "link") if key in person},
        "jerseyNumber": "",
        "position": {"code": "1", "name": "Pitcher", "type": "Pitcher", "abbreviation": "P"},
        "status": {"code": "A", "description": "Active"},
        "parentTeamId": team_id,
    }


def _json(body: Any, status: int = 200) -> Response:
    headers = {"x-requests-remaining": "420", "x-requests-used": "80"}
    return Response(
        json.dumps(body), status=status, content_type="application/json", headers=headers
    )


def fixture_server(api: FixtureApi, port: int = 0) -> BaseWSGIServer:
    """A server of ``api`` on 127.0.0.1 (port 0: a free one; ``server.port`` says which)."""
    return make_server("127.0.0.1", port, api.wsgi, threaded=True)


def serve_in_thread(api: FixtureApi, port: int = 0) -> tuple[BaseWSGIServer, threading.Thread]:
    """Start :func:`fixture_server` on a daemon thread; ``server.shutdown()`` stops it."""
    server = fixture_server(api, port)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, thread
