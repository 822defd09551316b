"""``strikeouts fixtures serve|advance``: the offline game day's two APIs on this machine.

Invariant: the server binds 127.0.0.1 only, serves the shared fixture files in the shapes of
the MLB Stats API and The Odds API (key ``fixture-key``), and runs until interrupted;
``advance`` moves its day on by one (the day before turns final).
"""

from __future__ import annotations

import datetime as dt
import json
import urllib.request
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from strikeouts.cli.app import app
from strikeouts.cli.options import date_option
from strikeouts.errors import BadInput
from strikeouts.settings import Settings

fixtures_app = typer.Typer(
    help="The offline game day: serve the Stats API and Odds API fixtures locally.",
    no_args_is_help=True,
)
app.add_typer(fixtures_app, name="fixtures")

DEFAULT_PORT = 8765
UrlOpt = Annotated[
    str, typer.Option("--url", help="The fixture server (what `fixtures serve` printed)")
]


def default_fixtures(settings: Settings) -> Path:
    """``fixtures/live`` beside the data directory (``../shared/fixtures/live`` for a clone)."""
    return Path(settings.data_dir).resolve().parent / "fixtures" / "live"


@fixtures_app.command("serve")
def serve_command(
    fixtures: Annotated[
        Path | None,
        typer.Option(
            "--fixtures",
            help="Folder of DATE/statsapi and DATE/odds files (default: fixtures/live beside "
            "the data directory)",
            show_default=False,
        ),
    ] = None,
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (0: any free one)")] = DEFAULT_PORT,
    today: Annotated[
        dt.date | None,
        date_option("--today", "The server's day: schedules of earlier dates are final"),
    ] = None,
    rosters: Annotated[
        Path | None,
        typer.Option(
            "--rosters",
            help="Folder of DATE/statsapi/roster_TEAMID.json 40-man rosters (default: none; a "
            "team without a file answers its probable starters, all active)",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Serve the fixtures until interrupted; prints the three settings that point at it."""
    from strikeouts.devstack.fixture_api import KEY, FixtureApi, fixture_server

    root = fixtures or default_fixtures(Settings())
    if not root.is_dir():
        raise BadInput(f"--fixtures {root}: no such folder (the live fixtures, DATE/statsapi ...)")
    if rosters is not None and not rosters.is_dir():
        raise BadInput(f"--rosters {rosters}: no such folder (DATE/statsapi/roster_TEAMID.json)")
    first = dt.date.fromisoformat(FixtureApi(root).days()[0])
    api = FixtureApi(root, today=today or first, rosters=rosters)
    server = fixture_server(api, port)
    url = f"http://127.0.0.1:{server.port}"
    print(f"serving {root} on {url} (today {api.today}; Ctrl-C stops it)", flush=True)
    print(f"export STRIKEOUTS_STATSAPI_URL={url}")
    print(f"export STRIKEOUTS_ODDS_API_URL={url}")
    print(f"export STRIKEOUTS_ODDS_API_KEY={KEY}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


@fixtures_app.command("advance")
def advance_command(url: UrlOpt = f"http://127.0.0.1:{DEFAULT_PORT}") -> None:
    """Move the fixture server one day on: yesterday's games are final now."""
    from strikeouts.devstack.fixture_api import ADVANCE

    request = urllib.request.Request(url.rstrip("/") + ADVANCE, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        today = json.loads(response.read())["today"]
    Console().print(f"fixture server's day: {today}", highlight=False)
