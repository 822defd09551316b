"""The injured list's lines under a live slate: who is on it, and what was stale or unknown.

Invariant: a slate that went on with part of the injured list stale or missing says so in a
warning naming how many starters or teams and which team ids, never silently.
"""

from __future__ import annotations

from rich.console import Console

from strikeouts.gameday.daily import LiveSlate
from strikeouts.gameday.injuries import CACHED, FRESH, MISSING, STALE


def print_injured_list(console: Console, live: LiveSlate) -> None:
    """The injured list's line: who is on it, and a warning when part of it is stale or
    unknown (the slate went on without it)."""
    found, s = live.injuries, live.slate
    if found is None:
        return
    stale = found.teams_by_source(STALE)
    console.print(
        f"injured list: {len(found.teams)} teams ({len(found.teams_by_source(FRESH))} fetched, "
        f"{len(found.teams_by_source(CACHED))} cached, {len(stale)} stale); "
        f"{s.injured} starters on it",
        highlight=False,
    )
    if stale:
        console.print(
            f"[yellow]warning:[/] the Stats API's rosters failed: {len(stale)} teams use "
            f"their last cached injured list (team ids {_ids(stale)})",
            highlight=False,
        )
    if s.injury_unknown:
        console.print(
            f"[bold yellow]warning:[/] no injured list for {s.injury_unknown} starters (the "
            "Stats API's rosters failed and nothing is cached): they go on without it, their "
            "rows flagged injured_list_unknown (team ids "
            f"{_ids(found.teams_by_source(MISSING))})",
            highlight=False,
        )


def _ids(team_ids: list[int]) -> str:
    return ", ".join(str(t) for t in team_ids)
