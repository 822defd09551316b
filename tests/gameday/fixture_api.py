"""A local stand-in for the two live APIs, serving the shared fixture files (and variants).

Schedules answer the morning file until a date is marked final; any path can be overridden
with a crafted body (a doubleheader, a postponed game, a bad box score) or a status code.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

BOXSCORE = re.compile(r"^/api/v1/game/(\d+)/boxscore$")
ODDS = re.compile(r"^/v4/sports/baseball_mlb/events/(\w+)/odds$")
EVENTS = "/v4/sports/baseball_mlb/events"
KEY = "fixture-key"


@dataclass
class FixtureApi:
    """Serves ``live/DATE/...`` files by endpoint; ``final`` dates get the final schedule."""

    root: Path
    final: set[str] = field(default_factory=set)
    overrides: dict[str, Any] = field(default_factory=dict)
    status: dict[str, int] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)

    def install(self, server: HTTPServer) -> None:
        server.expect_request(re.compile(".*")).respond_with_handler(self.handle)

    def load(self, relative: str) -> Any:
        return copy.deepcopy(json.loads((self.root / relative).read_text()))

    def schedule(self, day: str) -> Any:
        if f"schedule:{day}" in self.overrides:
            return copy.deepcopy(self.overrides[f"schedule:{day}"])
        phase = "final" if day in self.final else "morning"
        if not (self.root / day).is_dir():
            return {"totalGames": 0, "dates": []}  # a date without games (off day)
        return self.load(f"{day}/statsapi/schedule_{phase}.json")

    def handle(self, request: Request) -> Response:
        self.calls.append(request.full_path)
        path = request.path
        if path in self.status:
            return Response("failure", status=self.status[path])
        if path in self.overrides:
            return _json(self.overrides[path])
        if path.startswith("/v4/") and request.args.get("apiKey") != KEY:
            return _json({"message": "API key is not valid"}, 401)
        body = self._body(request)
        return _json(body) if body is not None else _json({"message": "not found"}, 404)

    def _body(self, request: Request) -> Any:
        path = request.path
        if path == "/api/v1/schedule":
            return self.schedule(request.args["date"])
        if match := BOXSCORE.match(path):
            return self._find(f"statsapi/boxscore_{match.group(1)}.json")
        if path == EVENTS:
            start, end = request.args["commenceTimeFrom"], request.args["commenceTimeTo"]
            events = [e for day in self._days() for e in self.load(f"{day}/odds/events.json")]
            return [e for e in events if start <= e["commence_time"] <= end]
        if match := ODDS.match(path):
            return self._find(f"odds/event_{match.group(1)}_odds.json")
        return None

    def _days(self) -> list[str]:
        return sorted(p.name for p in self.root.iterdir() if p.is_dir())

    def _find(self, relative: str) -> Any:
        for day in self._days():
            if (self.root / day / relative).is_file():
                return self.load(f"{day}/{relative}")
        return None


def _json(body: Any, status: int = 200) -> Response:
    headers = {"x-requests-remaining": "420", "x-requests-used": "80"}
    return Response(
        json.dumps(body), status=status, content_type="application/json", headers=headers
    )
