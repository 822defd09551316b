"""The game day on the local stack: a 15-game slate to the final BigQuery table, and results.

1. ``--runs`` times: publish the 15-game game-schedule event of 2025-07-04 (a new run id each
   time) and time it until the last of its 90 rows (2 systems + the ensemble per starter) is
   in ``pitcher_strikeout_predictions`` (the final table): fanout, the two systems and the
   ensemble run as functions behind the Pub/Sub emulator, rows are staged in bqemulator and
   MERGEd by the merger (polled here, as the every-minute tick would). Median and worst.
2. The night: the results of 2025-07-04 from a local server serving the live fixtures, into
   bqemulator's ``pitcher_starts``, then the grades of every prediction row of the runs.

Usage: .venv/bin/python benchmarks/stack_gameday.py --warehouse W.duckdb [--runs 5]
(W: an ingested warehouse; the functions' champions are trained on starts before 2025-03-01.)
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
import uuid
from pathlib import Path

from strikeouts.cloud.bigquery_warehouse import BigQueryWarehouse
from strikeouts.cloud.publish import build_schedule_event, publish_schedule
from strikeouts.cloud.pubsub import PubSubPublisher
from strikeouts.cloud.staging import open_merger
from strikeouts.data.teams import load_team_codes
from strikeouts.devstack.fixture_api import FixtureApi, serve_in_thread
from strikeouts.devstack.stack import StackInfo
from strikeouts.gameday.daily import LiveSources, results_and_grades
from strikeouts.names import PREDICTIONS
from strikeouts.settings import PROJECT_ROOT, Settings
from strikeouts.sources.statsapi import StatsApiClient
from strikeouts.warehouse.duckdb_backend import ReadOnlyDuckDBWarehouse

sys.path.insert(0, str(Path(__file__).parent))
from gameday import NIGHT
from stack_session import bench_stack

DAY = dt.date(2025, 7, 4)
TRAIN_END = dt.date(2025, 3, 1)
ROWS_PER_RUN = 90
POLL_SECONDS = 0.25


def final_rows(cloud: BigQueryWarehouse, run_id: str) -> int:
    frame = cloud.query(f"SELECT COUNT(*) AS n FROM {PREDICTIONS} WHERE run_id = @r", {"r": run_id})
    return int(frame["n"].iloc[0])


def one_slate(
    info: StackInfo, settings: Settings, cloud: BigQueryWarehouse, timeout: float
) -> float:
    """Seconds from publishing one 15-game event to its last row in the final table."""
    features = ReadOnlyDuckDBWarehouse(info.feature_warehouse)
    try:
        run_id = f"bench-gameday-{uuid.uuid4().hex[:8]}"
        event = build_schedule_event(features, DAY, run_id, dt.datetime.now(dt.UTC))
    finally:
        features.close()
    assert sum(len(g["starters"]) for g in event["games"]) * 3 == ROWS_PER_RUN
    merger = open_merger(settings, cloud)
    assert merger is not None
    started = time.perf_counter()
    publish_schedule(PubSubPublisher.from_settings(settings), event)
    while time.perf_counter() - started < timeout:
        merger.merge(wait=5.0)
        if final_rows(cloud, run_id) >= ROWS_PER_RUN:
            return time.perf_counter() - started
        time.sleep(POLL_SECONDS)
    raise TimeoutError(f"run {run_id}: rows not all final after {timeout} s")


def main() -> int:
    """Bring the stack up, measure, bring it down; print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, default=None)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument(
        "--fixtures", type=Path, default=PROJECT_ROOT.parent / "shared/fixtures/live"
    )
    args = parser.parse_args()
    with bench_stack(args.warehouse, "stack-gameday-", TRAIN_END) as stack:
        info, settings, cloud = stack.info, stack.settings, stack.cloud
        times = []
        for run in range(1, max(1, args.runs) + 1):
            times.append(one_slate(info, settings, cloud, args.timeout))
            print(f"run {run}: publish → last of {ROWS_PER_RUN} final rows in {times[-1]:.2f} s")
        print(
            f"15-game slate to the final table: median {statistics.median(times):.2f} s, "
            f"worst {max(times):.2f} s over {len(times)} runs"
        )
        server, _ = serve_in_thread(FixtureApi(args.fixtures, today=NIGHT))
        teams = load_team_codes(settings.data_dir)
        games = StatsApiClient(f"http://127.0.0.1:{server.port}", teams.from_full_name)
        started = time.perf_counter()
        found, grades = results_and_grades(
            DAY, cloud, teams, LiveSources(games), dt.datetime.now(dt.UTC)
        )
        seconds = time.perf_counter() - started
        server.shutdown()
        print(
            f"results + grading of {DAY} on bqemulator: {seconds:.2f} s "
            f"({found.starts if found else 0} starts, {grades.graded} rows graded)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
