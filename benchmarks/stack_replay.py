"""Fault-injection replay through the local stack: real dates published to game-schedule, the
event functions (one per registered system) under functions-framework behind the official
Pub/Sub emulator, bqemulator and fake-gcs-server, with duplicate deliveries and transient
failures injected in every function.

Usage: .venv/bin/python benchmarks/stack_replay.py [--start 2025-06-01] [--days 30]
       [--fail-rate 0.05] [--duplicate-rate 0.10] [--timeout 900]
       [--season 2025] [--kill] [--pause-seconds 10] [--poison 20] [--deadline 300]
       [--profile DIR]

``--season`` replays every date of a season; ``--kill`` crashes (SIGKILL) the ensemble and a
system function at 25% and 75% of the run and stops the emulator's pushes for
``--pause-seconds`` at 50% (``stack_faults.py``), ticking every ``--tick-every`` seconds as the
scheduler would; ``--poison N`` publishes N distinct bad messages of each kind on every topic; ``--profile DIR``
samples every function with py-spy during the replay and prints each one's top entries
(``stack_profile.py``).
Afterwards: rejections by handler and reason (poison must be rejected, never retried), dead
letters (a run's message that used up its attempts under the injected faults is redriven and
counted), and the figures below.

Reports: pitcher-games/s (goal >= 100/s), lost pitcher-games (must be 0), duplicate rows per
key (must be 0), fallbacks, dead-letters (with their reasons), injected faults, per-function
handling time and CPU (per pitcher-game too), then on the quiet stack:

- cold start of each function (goal <= 2x a do-nothing function's, served and measured the
  same way in the same run): a fresh process (start to listening, imports included) plus its
  first request, a real message POSTed as the push would (lazy clients, models and history
  loaded there), median of ``--cold-runs``; next to a warm request;
- the transport baseline: the same Pub/Sub emulator pushing to a function that does nothing,
  which bounds what any handler could reach (the emulator pushes each subscription through two
  loops, one request at a time each).

The rate is pitcher-games over the time from the first publish to the last ensemble row
staged (its ``staged_at``; a row is durable once staged; the MERGE into the final table is
timed separately). The features warehouse is copied to a temporary directory; nothing is
written to yours.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from strikeouts.cloud.bigquery_warehouse import BigQueryWarehouse
from strikeouts.cloud.functions import function_names
from strikeouts.cloud.publish import build_schedule_event, publish_schedule, publish_tick
from strikeouts.cloud.pubsub import PubSubPublisher
from strikeouts.cloud.staging import StagingMerger, open_merger, staging_table
from strikeouts.devstack.stack import StackInfo, stack_down, stack_up
from strikeouts.names import PREDICTIONS
from strikeouts.pipeline.handlers.ensemble import RE_OFFERED
from strikeouts.pipeline.payloads import GameScheduleEvent
from strikeouts.runtime.schedule import ScheduleError
from strikeouts.settings import Settings, get_settings
from strikeouts.warehouse.duckdb_backend import ReadOnlyDuckDBWarehouse

sys.path.insert(0, str(Path(__file__).parent))
from stack_faults import (
    POISON_RUN,
    DeadLetterFigures,
    Drill,
    poison_messages,
    publish_poison,
    rejections,
    settle_dead_letters,
)
from stack_probes import (
    CONSUMES,
    ColdStart,
    Transport,
    cold_starts,
    cpu_seconds_by_group,
    noop_cold_start,
    pull_sample,
    sample_subscriptions,
    schedule_sample,
    tick_sample,
    transport_baseline,
)
from stack_profile import print_profiles, profiling

TRAIN_END = dt.date(2025, 3, 1)
GOAL_RATE = 100.0
# a function's cold start against a do-nothing function's on the same machine
GOAL_COLD_START_RATIO = 2.0
# the whole stack's CPU per pitcher-game against the transport floor of the same run
GOAL_TRANSPORT_RATIO = 3.0
ENSEMBLE = "ensemble_v1"
# longer than the month's backlog takes to drain, so fallbacks come from the systems only
DEADLINE_SECONDS = 300.0
SETTLE_SECONDS = 60.0
# the count is only a stop condition (the rate comes from staged_at): poll it seldom
POLL_SECONDS = 2.0
SAMPLED = ("pitcher_games", "system_predictions")
TRANSPORT_MESSAGES = 1000
TRANSPORT_RUNS = 3


def build_events(
    info: StackInfo, start: dt.date, days: int, deadline: float = DEADLINE_SECONDS
) -> list[GameScheduleEvent]:
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
                        deadline_seconds=deadline,
                    )
                )
            except ScheduleError:
                continue  # an off day
    finally:
        features.close()
    return events


_KEY = "CONCAT(run_id, '/', game_id, '/', CAST(pitcher_id AS STRING))"
_OF_RUNS = "WHERE system_id = @e AND run_id IN UNNEST(@runs)"


def staged_count(cloud: BigQueryWarehouse, run_ids: list[str]) -> int:
    """Distinct pitcher-games with an ensemble row staged (or already merged: a tick's merge
    clears staged rows after its grace): the one query each poll runs (bqemulator's CPU for
    the polls counts in the run's, so they are kept few and single)."""
    frame = cloud.query(
        f"SELECT COUNT(DISTINCT k) AS n FROM (SELECT {_KEY} AS k FROM "
        f"{staging_table(PREDICTIONS)} {_OF_RUNS} UNION ALL SELECT {_KEY} AS k FROM "
        f"{PREDICTIONS} {_OF_RUNS})",
        {"e": ENSEMBLE, "runs": run_ids},
    )
    return int(frame["n"].iloc[0])


def last_staged(cloud: BigQueryWarehouse, run_ids: list[str]) -> tuple[int, dt.datetime]:
    """:func:`staged_count`, and when the last ensemble row was staged."""
    last = cloud.query(
        f"SELECT MAX(staged_at) AS last FROM {staging_table(PREDICTIONS)} {_OF_RUNS}",
        {"e": ENSEMBLE, "runs": run_ids},
    )
    return staged_count(cloud, run_ids), last["last"].iloc[0].to_pydatetime()


def wait_until_staged(
    cloud: BigQueryWarehouse,
    publisher: PubSubPublisher,
    run_ids: list[str],
    expected: int,
    started: float,
    args: argparse.Namespace,
    drill: Drill | None = None,
) -> None:
    """Poll until every pitcher-game has an ensemble row staged: past the ensemble deadline
    (and, in a drill, every ``--tick-every`` s from the first crash on) tick as the scheduler
    would, so overdue pitcher-games fall back and outcomes a crash held unstaged are rewritten."""
    last_tick = 0.0
    deadline = started + args.timeout
    while time.perf_counter() < deadline:
        # distinct: a redelivered final result may stage a pitcher-game's rows twice
        staged = staged_count(cloud, run_ids)
        if staged >= expected:
            return
        if drill is not None:
            drill.step(staged / expected)
        now = time.perf_counter()
        every = args.tick_every if drill is not None and drill.done else None
        due = now - started > args.deadline and now - last_tick > 5.0
        if due or (every is not None and now - last_tick > every):
            publish_tick(publisher, dt.datetime.now(dt.UTC))
            last_tick = now
        time.sleep(POLL_SECONDS)


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


def function_figures(info: StackInfo, started_at: dt.datetime) -> dict[str, dict[str, Any]]:
    """Per function: deliveries, failures, injected faults, dead-letters, handling ms, and when
    its last delivery of the run was handled (seconds after the first publish)."""
    figures = {}
    for name in function_names():
        lines = log_lines(info.processes[name].log)
        done = [x for x in lines if x.get("message") == "delivery handled"]
        handled = [float(x["ms"]) for x in done]
        times = [dt.datetime.fromisoformat(x["time"]) for x in done if "time" in x]
        retried = [x for x in lines if x.get("message") == "delivery failed, will be retried"]
        dead = [x for x in lines if x.get("message") == "message dead-lettered"]
        reoffered = [x for x in lines if x.get("message") == RE_OFFERED]
        figures[name] = {
            "handled": len(handled),
            "median_ms": statistics.median(handled) if handled else 0.0,
            "retried": len(retried),
            "injected": sum(1 for x in retried if "InjectedFault" in str(x.get("reason"))),
            "dead_lettered": len(dead),
            "dead_reasons": [str(x.get("reason"))[:300] for x in dead],
            "reoffered": len(reoffered),
            "last_s": (max(times) - started_at).total_seconds() if times else 0.0,
        }
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--start", type=dt.date.fromisoformat, default=dt.date(2025, 6, 1))
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--fail-rate", type=float, default=0.05)
    parser.add_argument("--duplicate-rate", type=float, default=0.10)
    parser.add_argument("--timeout", type=float, default=900.0)
    parser.add_argument("--cold-runs", type=int, default=3)
    parser.add_argument("--warehouse", type=Path, default=None)
    parser.add_argument("--season", type=int, default=None, help="replay every date of a season")
    parser.add_argument("--deadline", type=float, default=DEADLINE_SECONDS)
    parser.add_argument("--kill", action="store_true", help="crash functions, stop pushes")
    parser.add_argument("--pause-seconds", type=float, default=10.0)
    parser.add_argument("--tick-every", type=float, default=15.0)
    parser.add_argument("--poison", type=int, default=0, help="bad messages per kind and topic")
    parser.add_argument(
        "--profile",
        type=Path,
        default=None,
        help="sample every function with py-spy during the replay into this directory",
    )
    parser.add_argument(
        "--keep-logs", type=Path, default=None, help="copy the stack's logs of the replay here"
    )
    args = parser.parse_args()
    base = get_settings()
    source = Path(args.warehouse or base.warehouse)
    if args.season is not None:
        args.start, args.days = season_span(source, args.season)
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
            functions = {name: info.processes[name].pid for name in function_names()}
            with profiling(args.profile, functions):
                replayed = replay(info, args, settings, env)
            if args.keep_logs:  # before the probes restart the functions (and their logs)
                shutil.copytree(root / "state", args.keep_logs, dirs_exist_ok=True)
            quiet_probes(info, settings, args, root, replayed)
            if args.profile:
                print_profiles(args.profile)
        finally:
            stack_down(settings)


@dataclass(frozen=True)
class Replayed:
    """What the probes compare against: the replay's rate, CPU and deliveries per game."""

    rate: float
    cpu_ms_per_game: float
    deliveries_per_game: float


def season_span(warehouse: Path, season: int) -> tuple[dt.date, int]:
    """(first date, days) of the regular-season starts of ``season`` in the warehouse."""
    features = ReadOnlyDuckDBWarehouse(str(warehouse))
    try:
        frame = features.query(
            "SELECT MIN(game_date) AS first, MAX(game_date) AS last FROM pitcher_starts "
            "WHERE season = @s",
            {"s": season},
        )
    finally:
        features.close()
    first = frame["first"].iloc[0]
    if first is None or frame["first"].isna().iloc[0]:
        raise SystemExit(f"--season {season}: no starts of that season in {warehouse}")
    first, last = (
        dt.date.fromisoformat(str(first)[:10]),
        dt.date.fromisoformat(str(frame["last"].iloc[0])[:10]),
    )
    return first, (last - first).days + 1


def replay(
    info: StackInfo, args: argparse.Namespace, stack_settings: Settings, env: dict[str, str]
) -> Replayed:
    """The dates through the stack with faults injected; prints the figures."""
    events = build_events(info, args.start, args.days, args.deadline)
    run_ids = [e["run_id"] for e in events]
    expected = sum(len(g["starters"]) for e in events for g in e["games"])
    end = args.start + dt.timedelta(days=args.days - 1)
    print(
        f"replaying {len(events)} dates {args.start}..{end}: {expected} pitcher-games; "
        f"injected: {args.fail_rate:.0%} transient failures, {args.duplicate_rate:.0%} lost acks "
        "(duplicate deliveries) in every function"
    )
    settings = info.settings()
    sample_subscriptions(info, settings, list(SAMPLED))
    publisher = PubSubPublisher.from_settings(settings)
    cloud = BigQueryWarehouse(
        project=info.project, dataset=info.dataset, endpoint=info.bigquery_endpoint, timeout=60.0
    )
    merger = open_merger(settings, cloud)
    assert isinstance(merger, StagingMerger)
    groups = {name: proc.pid for name, proc in info.processes.items()}
    cpu_before = cpu_seconds_by_group()
    started_at = dt.datetime.now(dt.UTC)
    started = time.perf_counter()
    for event in events:
        publish_schedule(publisher, event)
    poison = poison_messages(args.poison)
    rejections_expected = publish_poison(publisher, poison) if poison else 0
    drill = Drill(stack_settings, env, args.pause_seconds, cpu_before) if args.kill else None
    wait_until_staged(cloud, publisher, run_ids, expected, started, args, drill)
    cpu_after = cpu_seconds_by_group()
    staged, last = last_staged(cloud, run_ids)
    elapsed = (last - started_at).total_seconds()
    merged = merger.merge()
    figures = final_figures(cloud, run_ids)
    settle = time.perf_counter() + SETTLE_SECONDS
    # late system rows (after a finalization) may still be in flight: let them land
    while figures["rows"] < 3 * expected and time.perf_counter() < settle:
        time.sleep(2.0)
        merger.merge()
        figures = final_figures(cloud, run_ids)
    letters = settle_dead_letters(info, publisher, lambda d: d.labels().get("run_id") != POISON_RUN)
    if letters.redriven:  # give the redriven messages their rows before the final count
        wait_until_staged(cloud, publisher, run_ids, expected, time.perf_counter(), args)
        merger.merge()
        figures = final_figures(cloud, run_ids)
    functions = function_figures(info, started_at)
    rejected = rejections(cloud)
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
    print(
        "\nfunction                handled  retried  injected  dead-lt  median ms  cpu s  cpu ms/pg"
    )
    total_cpu = 0.0
    for name in (*function_names(), "pubsub-emulator", "bqemulator", "fake-gcs-server"):
        if drill is not None and name in function_names():  # crashed instances count too
            cpu = drill.cpu_of(name, cpu_after)
        else:
            cpu = cpu_after.get(groups[name], 0.0) - cpu_before.get(groups[name], 0.0)
        total_cpu += cpu
        f = functions.get(name)
        counts = (
            f"{f['handled']:>8} {f['retried']:>8} {f['injected']:>9} {f['dead_lettered']:>8} "
            f"{f['median_ms']:>10.1f}"
            if f
            else f"{'':>46}"
        )
        finished = f"{f['last_s']:>7.1f}" if f else ""
        print(f"{name:<22} {counts} {cpu:>6.1f} {1000 * cpu / expected:>10.1f} {finished}")
    print(
        f"{'all':<22} {'':>46} {total_cpu:>6.1f} {1000 * total_cpu / expected:>10.1f}"
        f"  ({total_cpu / elapsed:.2f} of {os.cpu_count()} cores over {elapsed:.1f} s)"
    )
    for name, f in functions.items():
        for reason in f["dead_reasons"]:
            print(f"dead-lettered by {name}: {reason}")
    print_faults(drill, letters, rejected, len(poison), rejections_expected)
    print(
        f"registrations of already written pitcher-games (rows re-offered, synchronously "
        f"staged as restores): {functions['ensemble']['reoffered']}"
    )
    deliveries = sum(f["handled"] + f["retried"] for f in functions.values())
    return Replayed(rate, 1000 * total_cpu / expected, deliveries / expected)


def print_faults(
    drill: Drill | None,
    letters: DeadLetterFigures,
    rejected: Counter[str],
    poison: int,
    expected_rejections: int,
) -> None:
    """What the drill did, and where the dead letters and the poison ended."""
    if drill is not None:
        print("\ndrill (share of pitcher-games staged when taken, seconds it took):")
        for share, what, seconds in drill.done:
            print(f"  at {share:.0%}: {what} ({seconds:.1f} s)")
    print(
        f"dead letters: {letters.poison + len(letters.good)} ({letters.poison} poison; "
        f"{len(letters.good)} of the run's own messages, all redriven: {letters.redriven})"
    )
    for d in letters.good:
        print(
            f"  redriven: {d.handler} {d.topic} {d.labels()} after {d.attempts} attempts: {d.reason[:160]}"
        )
    total = sum(rejected.values())
    print(
        f"poison: {poison} messages published; rejected_messages rows: {total} "
        f"(expected {expected_rejections}: one per subscriber of their topic)"
    )
    for what, n in sorted(rejected.items()):
        print(f"  {n:>5}  {what}")


def quiet_probes(
    info: StackInfo, settings: Settings, args: argparse.Namespace, root: Path, replayed: Replayed
) -> None:
    """Cold starts and the transport baseline, on the stack with nothing else to do."""
    stack = info.settings()
    samples = {
        name: pull_sample(info, getattr(stack.topics, attr))
        for name, attr in CONSUMES.items()
        if attr in SAMPLED
    }
    samples["ensemble_tick"] = tick_sample(stack)
    event = build_events(info, args.start, 1)[0]
    samples["fanout"] = schedule_sample(stack, {**event, "run_id": "cold-start"})
    # the do-nothing function before and after the functions: the load may change meanwhile
    noop = [noop_cold_start(info, root, samples["fanout"], args.cold_runs)]
    starts = cold_starts(info, settings, samples, args.cold_runs)
    noop.append(noop_cold_start(info, root, samples["fanout"], args.cold_runs))
    print_cold_starts(starts, args.cold_runs, median_cold_start(noop))
    transport = transport_baseline(
        info, root / "noop", TRANSPORT_MESSAGES, len(samples["ensemble"].data), TRANSPORT_RUNS
    )
    print_transport(transport, replayed)


def median_cold_start(starts: list[ColdStart]) -> ColdStart:
    """The medians of several measurements, part by part."""
    return ColdStart(
        statistics.median(c.start for c in starts),
        statistics.median(c.first for c in starts),
        statistics.median(c.warm for c in starts),
    )


def print_cold_starts(starts: dict[str, ColdStart], runs: int, noop: ColdStart) -> None:
    print(
        f"\ncold start on the quiet stack (median of {runs}): a new process, start to listening "
        "(imports included) + its first request (lazy clients, models, history); warm request; "
        "against a do-nothing function served the same way"
    )
    print(
        f"  {'noop':<22} start {noop.start:.2f} s + first request {noop.first:.2f} s = "
        f"{noop.total:.2f} s; warm request {1000 * noop.warm:.0f} ms"
    )
    for name, c in starts.items():
        ratio = c.total / noop.total
        verdict = "ok" if ratio <= GOAL_COLD_START_RATIO else "over goal"
        print(
            f"  {name:<22} start {c.start:.2f} s + first request {c.first:.2f} s = "
            f"{c.total:.2f} s = {ratio:.2f}x noop ({verdict}, goal <= "
            f"{GOAL_COLD_START_RATIO:.0f}x); warm request {1000 * c.warm:.0f} ms"
        )


def print_transport(t: Transport, replayed: Replayed) -> None:
    rates = ", ".join(f"{r:.0f}" for r in t.rates)
    print(
        f"\ntransport baseline: a do-nothing function behind the same emulator: median "
        f"{t.rate:.0f} deliveries/s ({rates}) through one subscription; "
        f"{t.cpu_ms_per_delivery:.2f} ms of CPU per delivery (emulator + framework)"
    )
    transport_ms = t.cpu_ms_per_delivery * replayed.deliveries_per_game
    cores = os.cpu_count() or 1
    print(
        f"  the replay made {replayed.deliveries_per_game:.2f} deliveries per pitcher-game "
        f"(faults included): transport alone is {transport_ms:.1f} ms of CPU per "
        f"pitcher-game, a ceiling of {1000 * cores / transport_ms:.0f} pitcher-games/s on "
        f"{cores} cores with handlers that do nothing"
    )
    print(
        f"  the whole stack used {replayed.cpu_ms_per_game:.1f} ms of CPU per pitcher-game: "
        f"a ceiling of {1000 * cores / replayed.cpu_ms_per_game:.0f} pitcher-games/s on "
        f"{cores} cores; reached {replayed.rate:.1f}"
    )
    ratio = replayed.cpu_ms_per_game / transport_ms
    verdict = "ok" if ratio <= GOAL_TRANSPORT_RATIO else "over goal"
    print(
        f"  CPU per pitcher-game / transport floor = {ratio:.2f}x "
        f"({verdict}, goal <= {GOAL_TRANSPORT_RATIO:.0f}x)"
    )


if __name__ == "__main__":
    main()
