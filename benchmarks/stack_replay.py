"""Fault-injection replay through the local stack: real dates published to game-schedule, the
five functions under functions-framework behind the official Pub/Sub emulator, bqemulator and
fake-gcs-server, with duplicate deliveries and transient failures injected in every function.

Usage: .venv/bin/python benchmarks/stack_replay.py [--start 2025-06-01] [--days 30]
       [--fail-rate 0.05] [--duplicate-rate 0.10] [--timeout 900]

Reports: pitcher-games/s (goal >= 100/s), lost pitcher-games (must be 0), duplicate rows per
key (must be 0), fallbacks, dead-letters, injected faults, per-function handling time and CPU,
and the cold start of each function (process start to listening, imports included; plus the
lazy set-up of clients and models on the first delivery: "instance ready"; goal <= 1.5 s).
The rate is pitcher-games over the time from the first publish to the last ensemble row
staged (a row is durable once staged; the MERGE into the final table is timed separately).
The features warehouse is copied to a temporary directory; nothing is written to yours.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from strikeouts.cloud.functions import FUNCTION_NAMES, ReadOnlyDuckDBWarehouse
from strikeouts.cloud.publish import build_schedule_event, publish_schedule, publish_tick
from strikeouts.cloud.pubsub import PubSubPublisher
from strikeouts.cloud.stack import StackInfo, stack_down, stack_up
from strikeouts.cloud.staging import StagingMerger, open_merger, staging_table
from strikeouts.pipeline.sinks import PREDICTIONS
from strikeouts.runtime.schedule import ScheduleError
from strikeouts.settings import Settings, get_settings
from strikeouts.warehouse.bigquery_backend import BigQueryWarehouse

TRAIN_END = dt.date(2025, 3, 1)
GOAL_RATE = 100.0
GOAL_COLD_START = 1.5
ENSEMBLE = "ensemble_v1"
# longer than the month's backlog takes to drain, so fallbacks come from the systems only
DEADLINE_SECONDS = 300.0
SETTLE_SECONDS = 60.0
CLOCK_TICK = os.sysconf("SC_CLK_TCK")


def build_events(info: StackInfo, start: dt.date, days: int) -> list[dict[str, Any]]:
    """The schedule event of every date with games in [start, start + days)."""
    features = ReadOnlyDuckDBWarehouse(info.feature_warehouse)
    created = dt.datetime.now(dt.UTC)
    events = []
    try:
        for offset in range(days):
            day = start + dt.timedelta(days=offset)
            try:
                events.append(
                    build_schedule_event(
                        features,
                        day,
                        f"stack-bench-{day.isoformat()}",
                        created,
                        deadline_seconds=DEADLINE_SECONDS,
                    )
                )
            except ScheduleError:
                continue  # an off day
    finally:
        features.close()
    return events


def staged_ensembles(cloud: BigQueryWarehouse, run_ids: list[str]) -> int:
    """Distinct pitcher-games with an ensemble row staged (durable, maybe not merged yet)."""
    frame = cloud.query(
        "SELECT COUNT(DISTINCT CONCAT(run_id, '/', game_id, '/', CAST(pitcher_id AS STRING))) "
        f"AS n FROM {staging_table(PREDICTIONS)} "
        "WHERE system_id = @e AND run_id IN UNNEST(@runs)",
        {"e": ENSEMBLE, "runs": run_ids},
    )
    return int(frame["n"].iloc[0])


def wait_until_staged(
    cloud: BigQueryWarehouse,
    publisher: PubSubPublisher,
    run_ids: list[str],
    expected: int,
    started: float,
    timeout: float,
) -> tuple[int, float]:
    """Poll until every pitcher-game has an ensemble row staged (ticking past the deadline)."""
    seen, last_change, last_tick = 0, time.perf_counter(), 0.0
    deadline = started + timeout
    while time.perf_counter() < deadline:
        count = staged_ensembles(cloud, run_ids)
        now = time.perf_counter()
        if count != seen:
            seen, last_change = count, now
        if seen >= expected:
            break
        # past the ensemble deadline the scheduler's tick finalizes with the fallback
        if now - started > DEADLINE_SECONDS and now - last_tick > 5.0:
            publish_tick(publisher, dt.datetime.now(dt.UTC))
            last_tick = now
        time.sleep(0.5)
    return seen, last_change - started


def final_figures(cloud: BigQueryWarehouse, run_ids: list[str]) -> dict[str, int]:
    """Rows, duplicate keys, ensemble rows and fallbacks in the final table."""
    params = {"runs": run_ids, "e": ENSEMBLE}
    dup = cloud.query(
        "SELECT COUNT(*) AS n FROM (SELECT run_id FROM pitcher_strikeout_predictions "
        "WHERE run_id IN UNNEST(@runs) GROUP BY run_id, game_id, pitcher_id, system_id "
        "HAVING COUNT(*) > 1)",
        {"runs": run_ids},
    )
    totals = cloud.query(
        "SELECT COUNT(*) AS rows_, COUNTIF(system_id = @e) AS ensembles, "
        "COUNTIF(system_id = @e AND status = 'fallback') AS fallbacks, "
        "COUNTIF(system_id = @e AND fallback_reason LIKE 'deadline passed%') AS deadline_fallbacks "
        "FROM pitcher_strikeout_predictions WHERE run_id IN UNNEST(@runs)",
        params,
    )
    row = totals.iloc[0]
    return {
        "rows": int(row["rows_"]),
        "duplicate_keys": int(dup["n"].iloc[0]),
        "ensemble_rows": int(row["ensembles"]),
        "fallbacks": int(row["fallbacks"]),
        "deadline_fallbacks": int(row["deadline_fallbacks"]),
    }


def log_lines(path: str) -> list[dict[str, Any]]:
    """The JSON log lines of one function."""
    out = []
    for line in Path(path).read_text(errors="replace").splitlines():
        if line.startswith("{"):
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return out


def function_figures(info: StackInfo) -> dict[str, dict[str, Any]]:
    """Per function: deliveries, failures, injected faults, dead-letters, handling ms, cold start."""
    figures = {}
    for name in FUNCTION_NAMES:
        proc = info.processes[name]
        lines = log_lines(proc.log)
        handled = [float(x["ms"]) for x in lines if x.get("message") == "delivery handled"]
        ready = [float(x["init_seconds"]) for x in lines if x.get("message") == "instance ready"]
        retried = [x for x in lines if x.get("message") == "delivery failed, will be retried"]
        figures[name] = {
            "handled": len(handled),
            "median_ms": statistics.median(handled) if handled else 0.0,
            "retried": len(retried),
            "injected": sum(1 for x in retried if "InjectedFault" in str(x.get("reason"))),
            "dead_lettered": sum(1 for x in lines if x.get("message") == "message dead-lettered"),
            "start_seconds": proc.started_in,
            "init_seconds": ready[0] if ready else None,
        }
    return figures


def cpu_seconds_by_group() -> dict[int, float]:
    """CPU seconds (user + system) of every live process, summed per process group."""
    totals: dict[int, float] = defaultdict(float)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # after the command: state ppid pgrp ... utime(12) stime(13)
        totals[int(fields[2])] += (int(fields[11]) + int(fields[12])) / CLOCK_TICK
    return totals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--start", type=dt.date.fromisoformat, default=dt.date(2025, 6, 1))
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--fail-rate", type=float, default=0.05)
    parser.add_argument("--duplicate-rate", type=float, default=0.10)
    parser.add_argument("--timeout", type=float, default=900.0)
    parser.add_argument("--warehouse", type=Path, default=None)
    args = parser.parse_args()
    base = get_settings()
    source = Path(args.warehouse or base.warehouse)
    with tempfile.TemporaryDirectory(prefix="stack-replay-") as tmp:
        root = Path(tmp)
        features = root / "features.duckdb"
        shutil.copyfile(source, features)
        settings = Settings(state_dir=root / "state")
        env = {
            "STRIKEOUTS_FAULT_FAIL_RATE": str(args.fail_rate),
            "STRIKEOUTS_FAULT_DUPLICATE_RATE": str(args.duplicate_rate),
        }
        up_started = time.perf_counter()
        info = stack_up(
            settings,
            feature_warehouse=features,
            train_end=TRAIN_END,
            function_env=env,
            tick_seconds=0,
        )
        print(f"stack up in {time.perf_counter() - up_started:.1f} s (models trained if missing)")
        try:
            run(info, args)
        finally:
            stack_down(settings)


def run(info: StackInfo, args: argparse.Namespace) -> None:
    events = build_events(info, args.start, args.days)
    run_ids = [e["run_id"] for e in events]
    expected = sum(len(g["starters"]) for e in events for g in e["games"])
    end = args.start + dt.timedelta(days=args.days - 1)
    print(
        f"replaying {len(events)} dates {args.start}..{end}: {expected} pitcher-games; "
        f"injected: {args.fail_rate:.0%} transient failures, {args.duplicate_rate:.0%} lost acks "
        "(duplicate deliveries) in every function"
    )
    settings = info.settings()
    publisher = PubSubPublisher.from_settings(settings)
    cloud = BigQueryWarehouse(
        project=info.project, dataset=info.dataset, endpoint=info.bigquery_endpoint, timeout=60.0
    )
    merger = open_merger(settings, cloud)
    assert isinstance(merger, StagingMerger)
    groups = {name: proc.pid for name, proc in info.processes.items()}
    cpu_before = cpu_seconds_by_group()
    started = time.perf_counter()
    for event in events:
        publish_schedule(publisher, event)
    staged, elapsed = wait_until_staged(cloud, publisher, run_ids, expected, started, args.timeout)
    cpu_after = cpu_seconds_by_group()
    merged = merger.merge()
    figures = final_figures(cloud, run_ids)
    settle = time.perf_counter() + SETTLE_SECONDS
    # late system rows (after a finalization) may still be in flight: let them land
    while figures["rows"] < 3 * expected and time.perf_counter() < settle:
        time.sleep(2.0)
        merger.merge()
        figures = final_figures(cloud, run_ids)
    functions = function_figures(info)
    cloud.close()

    rate = staged / elapsed if elapsed > 0 else 0.0
    lost = expected - figures["ensemble_rows"]
    print(f"\npitcher-games staged: {staged}/{expected} in {elapsed:.1f} s")
    print(f"throughput: {rate:.1f} pitcher-games/s (goal >= {GOAL_RATE:.0f}/s)")
    print(f"final MERGE: {merged.inserted} rows in {merged.seconds:.2f} s")
    print(f"rows in final table: {figures['rows']} (3 per pitcher-game: {3 * expected})")
    print(f"lost pitcher-games: {lost} (must be 0)")
    print(f"duplicate keys: {figures['duplicate_keys']} (must be 0)")
    print(
        f"fallbacks: {figures['fallbacks']} ensemble rows with status fallback, "
        f"{figures['deadline_fallbacks']} of them after the deadline"
    )
    print("\nfunction                handled  retried  injected  dead-lt  median ms  cpu s")
    for name, f in functions.items():
        cpu = cpu_after.get(groups[name], 0.0) - cpu_before.get(groups[name], 0.0)
        print(
            f"{name:<22} {f['handled']:>8} {f['retried']:>8} {f['injected']:>9} "
            f"{f['dead_lettered']:>8} {f['median_ms']:>10.1f} {cpu:>6.1f}"
        )
    for name in ("pubsub-emulator", "bqemulator", "fake-gcs-server"):
        cpu = cpu_after.get(groups[name], 0.0) - cpu_before.get(groups[name], 0.0)
        print(f"{name:<22} {'':>45} {cpu:>6.1f}")
    print(f"(wall time {elapsed:.1f} s on {os.cpu_count()} cores)")
    print("\ncold start (process start to listening, imports included + first-delivery set-up)")
    for name, f in functions.items():
        init = f["init_seconds"]
        total = f["start_seconds"] + (init or 0.0)
        verdict = "ok" if total <= GOAL_COLD_START else "over goal"
        init_text = "n/a" if init is None else f"{init:.2f}"
        print(
            f"  {name:<22} start {f['start_seconds']:.2f} s + set-up {init_text} s "
            f"= {total:.2f} s ({verdict}, goal <= {GOAL_COLD_START} s)"
        )


if __name__ == "__main__":
    main()
