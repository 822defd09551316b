"""The game day on one machine against a local server serving the live fixtures.

Measures, over ``--runs`` runs on a warehouse holding the real history before 2025-07-04:
the live slate of 2025-07-04 (Stats API schedule + Odds API events and 15 per-event odds
calls, consensus, matching, then the embedded pipeline), the results intake of that day
(schedule + 15 box scores → 30 starts) and the grading of its 90 prediction rows. Runs
after the first find the same slate (same run id: the pipeline runs, writes nothing new)
and upsert the same starts and grades.

Usage: .venv/bin/python benchmarks/gameday.py [--runs 5] [--data-dir PATH] [--fixtures PATH]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import tempfile
import time
from pathlib import Path

from strikeouts.adapters import open_model_store
from strikeouts.data.ingest import ingest_all
from strikeouts.data.teams import TeamCodes, load_team_codes
from strikeouts.devstack.fixture_api import KEY, FixtureApi, serve_in_thread
from strikeouts.gameday.daily import LiveSources, live_slate
from strikeouts.gameday.grading import grade_date
from strikeouts.gameday.results import intake_results
from strikeouts.models.service import ensure_champions
from strikeouts.runtime.runner import Runner, load_predictors
from strikeouts.settings import PROJECT_ROOT, Settings, get_settings
from strikeouts.sources.odds import OddsApiClient
from strikeouts.sources.statsapi import StatsApiClient
from strikeouts.warehouse.duckdb_backend import DuckDBWarehouse

DAY = dt.date(2025, 7, 4)
MORNING, NIGHT = DAY, DAY + dt.timedelta(days=1)  # the fixture server's day: before, after


def one_run(
    wh: DuckDBWarehouse, runner: Runner, api: FixtureApi, base: str, teams: TeamCodes
) -> dict[str, float]:
    """Seconds of each step of one game day: slate (fetch + pipeline), results, grading."""
    games = StatsApiClient(base, teams.from_full_name)
    sources = LiveSources(games, OddsApiClient(base, KEY))
    now = dt.datetime.now(dt.UTC)
    api.today = MORNING
    started = time.perf_counter()
    built = live_slate(
        DAY, wh, teams, sources, now, runner.model_versions(), runner.expected_systems
    )
    runner.run_events([built.event])
    slate = time.perf_counter()
    api.today = NIGHT
    intake_results(DAY, games, wh, teams, now)
    results = time.perf_counter()
    grade_date(wh, DAY, None, now)
    graded = time.perf_counter()
    games.close()
    return {"slate": slate - started, "results": results - slate, "grading": graded - results}


def _cut(warehouse: DuckDBWarehouse) -> None:
    """The history as on the morning of DAY: nothing dated DAY or later."""
    for table in ("pitcher_starts", "games", "prop_lines"):
        warehouse.execute(f"DELETE FROM {table} WHERE game_date >= @d", {"d": DAY})


def main() -> int:
    """Run the benchmark and print median and worst per step."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument(
        "--fixtures", type=Path, default=PROJECT_ROOT.parent / "shared/fixtures/live"
    )
    args = parser.parse_args()
    data_dir = args.data_dir or get_settings().data_dir
    teams = load_team_codes(data_dir)
    api = FixtureApi(args.fixtures, today=MORNING)
    server, _ = serve_in_thread(api)
    base = f"http://127.0.0.1:{server.port}"
    steps: dict[str, list[float]] = {"slate": [], "results": [], "grading": []}
    with tempfile.TemporaryDirectory() as tmp:
        wh = DuckDBWarehouse(Path(tmp) / "bench.duckdb")
        ingest_all(data_dir, wh)
        _cut(wh)
        wh.ensure_tables()
        store = open_model_store(Settings(model_store=str(Path(tmp) / "models")))
        ensure_champions(wh, store, DAY)
        predictors = load_predictors(store)
        for run in range(1, max(1, args.runs) + 1):
            runner = Runner(wh, predictors, Path(tmp) / f"state{run}.duckdb")
            for step, seconds in one_run(wh, runner, api, base, teams).items():
                steps[step].append(seconds)
            print(f"run {run}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in steps.items()))
        rows = wh.row_count("prediction_grades")
        wh.close()
    server.shutdown()
    print(
        json.dumps(
            {
                k: {"median_s": round(statistics.median(v), 3), "worst_s": round(max(v), 3)}
                for k, v in steps.items()
            },
            indent=2,
        )
    )
    print(f"prediction_grades rows: {rows} (one per prediction row of {DAY})")
    return 0 if rows == 90 else 1


if __name__ == "__main__":
    raise SystemExit(main())
