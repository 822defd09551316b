"""The MLB Stats API's 40-man rosters: who of a team is on the injured list on a date.

``GET /api/v1/teams/{teamId}/roster?rosterType=40Man&date=YYYY-MM-DD`` answers
``{"roster": [{"person": {"id", "fullName"}, "status": {"code", "description"}, ...}],
"teamId", "rosterType"}``; a player on the injured list has a status code ``D7``, ``D10``,
``D15`` or ``D60`` ("Injured 15-Day" ...). The 40-man roster (not ``active``) is asked for
because a player on the injured list is off the active roster, and the older
``rosterType=injuries`` no longer filters.

Invariant: an entry that cannot be parsed becomes a :class:`Problem` with its raw JSON and
the rest of the roster is still used; an answer without the ``roster`` list is not a roster
and raises :class:`SourceDataError`.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from strikeouts.sources import parse
from strikeouts.sources.http import JsonClient, RetryPolicy, SourceDataError
from strikeouts.sources.parse import Bad
from strikeouts.sources.ports import Problem, Roster, RosterEntry

SOURCE = "statsapi"
ROSTER_PATH = "/api/v1/teams/{team_id}/roster"
ROSTER_TYPE = "40Man"
_INJURED = re.compile(r"^D\d+$")


def is_injured(status_code: str) -> bool:
    """Whether a roster status code is an injured-list one (``D7``, ``D10``, ``D15``, ``D60``)."""
    return bool(_INJURED.match(status_code))


class StatsApiRosters:
    """:class:`~strikeouts.sources.ports.RosterSource` over the MLB Stats API."""

    def __init__(self, base_url: str, policy: RetryPolicy | None = None) -> None:
        self.http = JsonClient(SOURCE, base_url, policy)

    def roster(self, team_id: int, day: dt.date) -> Roster:
        """The 40-man roster of ``team_id`` as of ``day``, each player with his status."""
        answer = self.http.get(
            ROSTER_PATH.format(team_id=int(team_id)),
            {"rosterType": ROSTER_TYPE, "date": day.isoformat()},
        )
        data = answer.data
        if not isinstance(data, dict) or not isinstance(data.get("roster"), list):
            raise SourceDataError(SOURCE, answer.url, "roster answer without a 'roster' list")
        entries: list[RosterEntry] = []
        problems: list[Problem] = []
        for i, item in enumerate(data["roster"]):
            try:
                entries.append(_entry(item))
            except Bad as exc:
                problems.append(parse.problem(answer.url, i, exc, item))
        return Roster(int(team_id), day, answer.url, entries, problems)

    def close(self) -> None:
        """Close the HTTP connections."""
        self.http.close()


def _entry(item: Any) -> RosterEntry:
    return RosterEntry(
        person_id=parse.integer(item, "person.id", minimum=1),
        name=parse.opt(item, "person.fullName"),
        status_code=parse.text(item, "status.code"),
        status_description=parse.opt(item, "status.description"),
    )
