"""What the cloud deployment costs a month, from work counted on the local stack.

Usage: .venv/bin/python benchmarks/cloud_cost.py [--warehouse W.duckdb] [--idle-ticks 120]
       [--replay-days 30] [--replay-start 2025-06-01]

The stack runs three scenarios; each is counted by ``strikeouts.devstack.metering`` from what
the emulators and functions recorded (bqemulator's jobs, fake-gcs-server's request log, the
functions' delivery and start-up log lines, CPU per process group from /proc):

(a) an idle day: ``--idle-ticks`` ticks through Pub/Sub to the tick function with nothing
    staged, scaled to the ticks a game-season day has (``tick_schedule`` in infra/, minutes
    per day in its hours); an off-season month has none (its months are outside the cron);
(b) a game day: three runs of 2025-07-04's 15-game slate (fanout, both systems, the ensemble,
    ticks every 2 s until every row is final), the night's results and grades, and the two
    monitoring runs; the schedule, results and monitor work runs in this process (as their
    functions would: one invocation each, its CPU measured here); the day's other ticks are
    priced as idle ones from (a);
(c) a month of replay: ``--replay-days`` real dates published at once, ticked until final.

Pricing (benchmarks/cloud_prices.json, source and date inside): Cloud Run functions bill each
request's time rounded up to 100 ms at 1 vCPU and 1 GiB (plus instance start-up) and a fee per
request; BigQuery bills 10 MB per table a query or DML job references (views expanded; our
tables are far below 10 MB, so the minimum is the bill); streaming inserts 1 KB per row;
Pub/Sub 1000 bytes at least per message, counted once published and once per delivery; Cloud
Storage per operation class (deletes are free). Monthly fixed items: scheduler jobs and alert
conditions counted in infra/, two secret versions, and the function images kept by the
repository's cleanup policy (dependency layers of identical requirements stored once).

A season month = 30 game days (b); an off-season month = 30 days of two monitoring runs and
the schedule/results triggers finding no game (priced from (b)'s per-run figures), no ticks;
both + the fixed items. Printed with and without the monthly free tiers of one billing
account; the last line is at list prices with those free tiers:
``season month $X.XX, off-season month $Y.YY``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hcl2
from google.cloud import bigquery

from strikeouts.cloud.functions import TICK_LOG
from strikeouts.cloud.publish import build_schedule_event, publish_schedule, publish_tick
from strikeouts.cloud.pubsub import PubSubPublisher
from strikeouts.data.teams import load_team_codes
from strikeouts.devstack.fixture_api import FixtureApi, serve_in_thread
from strikeouts.devstack.metering import Meter, Usage
from strikeouts.gameday.daily import LiveSources, results_and_grades
from strikeouts.models.systems import system_ids
from strikeouts.monitoring.service import monitor
from strikeouts.names import PREDICTIONS
from strikeouts.pipeline.payloads import GameScheduleEvent
from strikeouts.runtime.schedule import ScheduleError
from strikeouts.settings import PROJECT_ROOT
from strikeouts.sources.statsapi import StatsApiClient
from strikeouts.warehouse.duckdb_backend import ReadOnlyDuckDBWarehouse

sys.path.insert(0, str(Path(__file__).parent))
from stack_probes import cpu_seconds_by_group
from stack_session import BenchStack, bench_stack

PRICES = json.loads((Path(__file__).parent / "cloud_prices.json").read_text())
INFRA = PROJECT_ROOT / "infra"
DAY = dt.date(2025, 7, 4)
TRAIN_END = dt.date(2025, 3, 1)
TICK_EVERY_SECONDS = 2.0
DAYS_PER_MONTH = 30
GIB = 1024**3
TIB = 1024**4
# one row per registered system and the ensemble's
ROWS_PER_START = len(system_ids()) + 1


@dataclass
class Counted:
    """One scenario's counted work: the stack's, plus the functions run in this process."""

    usage: Usage
    cpu: dict[str, float]
    streamed_rows: int = 0
    ticks: int = 0
    local: Counter[str] = field(default_factory=Counter)
    """Invocations of schedule/results/monitor run here, with ``local_ms`` their time."""
    local_ms: float = 0.0


def item_costs(c: Counted) -> dict[str, float]:
    """List price of each billed item of ``c`` (no free tier)."""
    p, rules = PRICES["prices"], PRICES["rules"]
    usage = c.usage
    invocations = usage.invocations + sum(c.local.values())
    seconds = (usage.billable_ms + c.local_ms) / 1000
    message_bytes = max(rules["pubsub_min_bytes_per_message"], _mean_bytes(usage))
    return {
        "function requests": invocations * p["run_request"],
        "function vCPU": seconds * rules["function_vcpu"] * p["run_vcpu_second"],
        "function memory": seconds * rules["function_gib"] * p["run_gib_second"],
        "BigQuery on-demand": usage.bytes_billed / TIB * p["bigquery_tib_billed"],
        "BigQuery streaming": c.streamed_rows
        * rules["streaming_min_bytes_per_row"]
        / 1e9
        * p["bigquery_streaming_gb"],
        "Pub/Sub": 2 * usage.invocations * message_bytes / TIB * p["pubsub_tib"],
        "Cloud Storage ops": usage.gcs_class_a / 1000 * p["gcs_class_a_per_1000"]
        + usage.gcs_class_b / 1000 * p["gcs_class_b_per_1000"],
    }


def _mean_bytes(usage: Usage) -> float:
    return usage.delivered_bytes / usage.invocations if usage.invocations else 0.0


def print_scenario(name: str, c: Counted) -> float:
    u = c.usage
    kinds = Counter(j.kind for j in u.jobs)
    print(f"\n== {name} ==")
    print(
        f"invocations {u.invocations + sum(c.local.values())} "
        f"({', '.join(f'{k} {v}' for k, v in sorted((u.deliveries + c.local).items()))}); "
        f"cold starts {u.cold_starts}; billable request time {(u.billable_ms + c.local_ms) / 1000:.1f} s; "
        f"CPU {sum(c.cpu.values()):.1f} s ({', '.join(f'{k} {v:.1f}' for k, v in sorted(c.cpu.items()) if v)})"
    )
    print(
        f"BigQuery jobs {len(u.jobs)} ({', '.join(f'{k} {v}' for k, v in sorted(kinds.items()))}); "
        f"DML jobs {u.dml_jobs}; billed {u.bytes_billed / 1e9:.2f} GB; streamed rows {c.streamed_rows}"
    )
    print(
        f"Pub/Sub deliveries {u.invocations}, {u.delivered_bytes / 1e6:.2f} MB; "
        f"Cloud Storage class A {u.gcs_class_a}, class B {u.gcs_class_b}, free {u.gcs_free}; "
        f"ticks {c.ticks}"
    )
    costs = item_costs(c)
    print(f"{'item':<22}{'USD':>12}")
    for item, usd in costs.items():
        print(f"{item:<22}{usd:>12.5f}")
    total = sum(costs.values())
    print(f"{'total':<22}{total:>12.5f}")
    return total


# --- counting ------------------------------------------------------------------------------


class Runner:
    """Drives the stack and counts each scenario."""

    def __init__(self, stack: BenchStack) -> None:
        self.stack = stack
        info = stack.info
        logs = {n: Path(p.log) for n, p in info.processes.items() if p.port and n in _FUNCTIONS}
        self.meter = Meter(stack.cloud.client, Path(info.processes["fake-gcs-server"].log), logs)
        self.publisher = PubSubPublisher.from_settings(stack.settings)
        self.groups = {n: info.processes[n].pid for n in logs}
        self.tick_log = logs["ensemble_tick"]

    def start(self) -> tuple[dict[str, float], int]:
        self.meter.mark()
        return self._cpu(), self._final_rows()

    def finish(self, mark: tuple[dict[str, float], int], ticks: int, **kw: Any) -> Counted:
        time.sleep(1.0)  # the last log lines flushed
        before, rows = mark
        after = self._cpu()
        cpu = {n: after.get(n, 0.0) - before.get(n, 0.0) for n in after}
        usage = self.meter.read()
        return Counted(usage, cpu, streamed_rows=self._final_rows() - rows, ticks=ticks, **kw)

    def _cpu(self) -> dict[str, float]:
        by_group = cpu_seconds_by_group()
        return {n: by_group.get(pid, 0.0) for n, pid in self.groups.items()}

    def _final_rows(self) -> int:
        # tabledata.list, not a query: the benchmark's own reads must not count as jobs
        cloud = self.stack.cloud
        field = [bigquery.SchemaField("run_id", "STRING")]
        return sum(
            1 for _ in cloud.client.list_rows(cloud.table_id(PREDICTIONS), selected_fields=field)
        )

    def tick(self) -> None:
        """One tick through Pub/Sub, waited for (its log line)."""
        before = self._ticks_logged()
        publish_tick(self.publisher, dt.datetime.now(dt.UTC))
        deadline = time.monotonic() + 60
        while self._ticks_logged() <= before and time.monotonic() < deadline:
            time.sleep(0.05)

    def _ticks_logged(self) -> int:
        return self.tick_log.read_text(errors="replace").count(f'"{TICK_LOG}"')

    def tick_until(self, rows: int, timeout: float = 900.0) -> int:
        """Tick every 2 s until the final table holds ``rows`` more rows; ticks sent."""
        target, sent = self._final_rows() + rows, 0
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.tick()
            sent += 1
            if self._final_rows() >= target:
                return sent
            time.sleep(TICK_EVERY_SECONDS)
        raise TimeoutError(f"{rows} rows not final after {timeout:.0f} s")

    def event(self, day: dt.date) -> GameScheduleEvent | None:
        features = ReadOnlyDuckDBWarehouse(self.stack.info.feature_warehouse)
        try:
            run_id = f"cost-{day}-{uuid.uuid4().hex[:6]}"
            return build_schedule_event(features, day, run_id, dt.datetime.now(dt.UTC))
        except ScheduleError:
            return None
        finally:
            features.close()


_FUNCTIONS = (
    "fanout",
    "predict_v1_baseline",
    "predict_v1_6_rolling",
    "ensemble",
    "ensemble_tick",
)


def idle_day(run: Runner, ticks: int) -> Counted:
    for _ in range(3):  # anything earlier scenarios staged is merged and cleared first
        run.tick()
        time.sleep(TICK_EVERY_SECONDS)
    mark = run.start()
    for _ in range(ticks):
        run.tick()
    return run.finish(mark, ticks)


def game_day(run: Runner, fixtures: Path, monitor_runs: int) -> tuple[Counted, Counted]:
    """The slate runs with the night's results, and apart the monitoring runs."""
    mark = run.start()
    local: Counter[str] = Counter()
    local_ms, ticks = 0.0, 0
    for _ in range(3):
        started = time.perf_counter()
        event = run.event(DAY)
        assert event is not None
        publish_schedule(run.publisher, event)
        local["schedule"] += 1
        local_ms += _billable(time.perf_counter() - started)
        rows = ROWS_PER_START * sum(len(g["starters"]) for g in event["games"])
        ticks += run.tick_until(rows)
    # the night: the day's games are final
    server, _ = serve_in_thread(FixtureApi(fixtures, final={DAY.isoformat()}))
    try:
        settings = run.stack.settings
        teams = load_team_codes(settings.data_dir)
        games = StatsApiClient(f"http://127.0.0.1:{server.port}", teams.from_full_name)
        started = time.perf_counter()
        results_and_grades(DAY, run.stack.cloud, teams, LiveSources(games), dt.datetime.now(dt.UTC))
        local["results"] += 1
        local_ms += _billable(time.perf_counter() - started)
    finally:
        server.shutdown()
    slate = run.finish(mark, ticks, local=local, local_ms=local_ms)
    mark = run.start()
    watch: Counter[str] = Counter()
    watch_ms = 0.0
    for _ in range(monitor_runs):
        started = time.perf_counter()
        monitor(run.stack.cloud, DAY, run.stack.settings, create_views=False)
        watch["monitor"] += 1
        watch_ms += _billable(time.perf_counter() - started)
    return slate, run.finish(mark, 0, local=watch, local_ms=watch_ms)


def replay_month(run: Runner, start: dt.date, days: int) -> Counted:
    mark = run.start()
    rows = 0
    for offset in range(days):
        event = run.event(start + dt.timedelta(days=offset))
        if event is None:
            continue
        publish_schedule(run.publisher, event)
        rows += ROWS_PER_START * sum(len(g["starters"]) for g in event["games"])
    ticks = run.tick_until(rows, timeout=1800.0)
    return run.finish(mark, ticks)


def _billable(seconds: float) -> float:
    step = PRICES["rules"]["run_billing_step_ms"]
    return max(step, -(-1000 * seconds // step) * step)


# --- the month -----------------------------------------------------------------------------


def infra_counts() -> dict[str, Any]:
    """Scheduler jobs, alert conditions and the tick's hours, read from infra/."""
    variables: dict[str, Any] = {}
    jobs, conditions = 0, 0
    for path in sorted(INFRA.glob("*.tf")):
        parsed = hcl2.load(path.open())
        for block in parsed.get("variable", []):
            for name, body in block.items():
                variables[name.strip('"')] = body.get("default")
        for block in parsed.get("resource", []):
            for rtype, named in block.items():
                for body in named.values():
                    if rtype.strip('"') == "google_monitoring_alert_policy":
                        conditions += len(body.get("conditions", []))
    for block in ("schedule_crons", "monitor_schedules"):
        jobs += len(variables[block])
    jobs += 2  # the tick and the results job
    hours = variables["tick_schedule"].strip('"').split()[1]
    return {
        "scheduler_jobs": jobs,
        "alert_conditions": conditions,
        "ticks_per_season_day": 60 * _hours(hours),
        "monitor_runs": sum(
            _hours(c.strip('"').split()[1]) for c in variables["monitor_schedules"]
        ),
    }


def _hours(spec: str) -> int:
    if spec == "*":
        return 24
    total = 0
    for part in spec.split(","):
        low, _, high = part.partition("-")
        total += int(high or low) - int(low) + 1
    return total


def image_gib() -> float:
    """Function images kept: each distinct requirements set installed once (reproducible
    buildpack layers share a digest) times the two versions the cleanup policy keeps."""
    from importlib import metadata

    distinct = {p.read_text() for p in (PROJECT_ROOT / "functions").glob("*/requirements.txt")}
    total = 0
    for text in distinct:
        for line in text.splitlines():
            name = re.split(r"[=<>\[ ]", line.strip(), maxsplit=1)[0]
            if not name or name.startswith("#"):
                continue
            try:
                files = metadata.distribution(name).files or []
            except metadata.PackageNotFoundError:
                continue
            total += sum(f.size or 0 for f in files)
    return 2 * total / GIB


def fixed_monthly(counts: dict[str, Any]) -> tuple[dict[str, float], dict[str, float]]:
    """(gross, after free tiers) of the monthly fixed items."""
    p, free = PRICES["prices"], PRICES["free_per_month"]
    images = image_gib()
    gross = {
        "scheduler jobs": counts["scheduler_jobs"] * p["scheduler_job_month"],
        "alert conditions": counts["alert_conditions"] * p["alert_condition_month"],
        "secret versions": 2 * p["secret_version_month"],
        f"images ({images:.2f} GiB)": images * p["artifact_registry_gib_month"],
    }
    net = dict(gross)
    net["scheduler jobs"] = (
        max(0, counts["scheduler_jobs"] - free["scheduler_job_month"]) * p["scheduler_job_month"]
    )
    key = f"images ({images:.2f} GiB)"
    net[key] = (
        max(0.0, images - free["artifact_registry_gib_month"]) * p["artifact_registry_gib_month"]
    )
    return gross, net


def monthly(per_day: Counted, days: int) -> dict[str, float]:
    """Usage-based items of ``days`` days like ``per_day`` (list price, no free tier)."""
    return {k: v * days for k, v in item_costs(per_day).items()}


def after_free_tier(items: dict[str, float], c: Counted, days: int) -> float:
    """``items`` (a month of ``c`` per day) less what the monthly free tiers cover."""
    p, free = PRICES["prices"], PRICES["free_per_month"]
    u = c.usage
    seconds = days * (u.billable_ms + c.local_ms) / 1000
    invocations = days * (u.invocations + sum(c.local.values()))
    billed_tib = days * u.bytes_billed / TIB
    net = dict(items)
    net["function requests"] = max(0, invocations - free["run_request"]) * p["run_request"]
    net["function vCPU"] = max(0.0, seconds - free["run_vcpu_second"]) * p["run_vcpu_second"]
    net["function memory"] = max(0.0, seconds - free["run_gib_second"]) * p["run_gib_second"]
    net["BigQuery on-demand"] = (
        max(0.0, billed_tib - free["bigquery_tib_billed"]) * p["bigquery_tib_billed"]
    )
    pubsub_tib = items["Pub/Sub"] / p["pubsub_tib"]
    net["Pub/Sub"] = max(0.0, pubsub_tib - free["pubsub_tib"]) * p["pubsub_tib"]
    ops_a, ops_b = days * u.gcs_class_a / 1000, days * u.gcs_class_b / 1000
    net["Cloud Storage ops"] = (
        max(0.0, ops_a - free["gcs_class_a_per_1000"]) * p["gcs_class_a_per_1000"]
        + max(0.0, ops_b - free["gcs_class_b_per_1000"]) * p["gcs_class_b_per_1000"]
    )
    return sum(net.values())


def scaled(c: Counted, factor: float) -> Counted:
    """``c`` with every count multiplied by ``factor`` (a sample scaled to a day)."""
    u = c.usage
    usage = Usage(
        jobs=list(u.jobs) * round(factor),
        gcs_class_a=round(u.gcs_class_a * factor),
        gcs_class_b=round(u.gcs_class_b * factor),
        gcs_free=round(u.gcs_free * factor),
        deliveries=Counter({k: round(v * factor) for k, v in u.deliveries.items()}),
        delivered_bytes=round(u.delivered_bytes * factor),
        billable_ms=u.billable_ms * factor,
        cold_starts=u.cold_starts,
    )
    cpu = {k: v * factor for k, v in c.cpu.items()}
    return Counted(usage, cpu, round(c.streamed_rows * factor), round(c.ticks * factor))


def combined(a: Counted, b: Counted) -> Counted:
    usage = Usage(
        jobs=a.usage.jobs + b.usage.jobs,
        gcs_class_a=a.usage.gcs_class_a + b.usage.gcs_class_a,
        gcs_class_b=a.usage.gcs_class_b + b.usage.gcs_class_b,
        gcs_free=a.usage.gcs_free + b.usage.gcs_free,
        deliveries=a.usage.deliveries + b.usage.deliveries,
        delivered_bytes=a.usage.delivered_bytes + b.usage.delivered_bytes,
        billable_ms=a.usage.billable_ms + b.usage.billable_ms,
        cold_starts=a.usage.cold_starts + b.usage.cold_starts,
    )
    cpu = {k: a.cpu.get(k, 0.0) + b.cpu.get(k, 0.0) for k in {*a.cpu, *b.cpu}}
    return Counted(
        usage,
        cpu,
        a.streamed_rows + b.streamed_rows,
        a.ticks + b.ticks,
        a.local + b.local,
        a.local_ms + b.local_ms,
    )


def off_season_day(watch: Counted) -> Counted:
    """A day with no game: the monitoring runs as counted, and the three schedule and one
    results triggers answered "no game" (one 100 ms request each, no BigQuery job: an
    assumption, they were not run); no tick (the tick's months exclude the off-season)."""
    quiet = Counted(Usage(), {}, local=Counter({"schedule": 3, "results": 1}), local_ms=400.0)
    return combined(watch, quiet)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, default=None)
    parser.add_argument("--idle-ticks", type=int, default=120)
    parser.add_argument("--replay-days", type=int, default=30)
    parser.add_argument("--replay-start", type=dt.date.fromisoformat, default=dt.date(2025, 6, 1))
    parser.add_argument("--fixtures", type=Path, default=None)
    args = parser.parse_args()
    counts = infra_counts()
    print(f"price list: {PRICES['as_of']}")
    print(
        f"infra/: {counts['scheduler_jobs']} scheduler jobs, {counts['alert_conditions']} alert "
        f"conditions, {counts['ticks_per_season_day']} ticks per season day"
    )
    with bench_stack(args.warehouse, "cloud-cost-", TRAIN_END) as stack:
        fixtures = args.fixtures or stack.settings.data_dir.parent / "fixtures" / "live"
        run = Runner(stack)
        idle = idle_day(run, args.idle_ticks)
        slate, watch = game_day(run, fixtures, counts["monitor_runs"])
        replay = replay_month(run, args.replay_start, args.replay_days)
    idle_ticks = counts["ticks_per_season_day"]
    idle_total = scaled(idle, idle_ticks / max(1, args.idle_ticks))
    print_scenario(
        f"(a) idle day: {args.idle_ticks} ticks counted, scaled to {idle_ticks}", idle_total
    )
    rest = scaled(idle, max(0, idle_ticks - slate.ticks) / max(1, args.idle_ticks))
    season_day = combined(combined(slate, watch), rest)
    print_scenario(
        "(b) game day: 3 runs of 15 games, results, monitoring, + the day's idle ticks", season_day
    )
    print_scenario(
        f"(c) a month of replay: {args.replay_days} days from {args.replay_start}", replay
    )

    gross_fixed, net_fixed = fixed_monthly(counts)
    print("\n== monthly fixed items (USD, list / after free tiers) ==")
    for item, usd in gross_fixed.items():
        print(f"{item:<24}{usd:>10.4f}{net_fixed[item]:>10.4f}")
    quiet = off_season_day(watch)
    season_items = monthly(season_day, DAYS_PER_MONTH)
    quiet_items = monthly(quiet, DAYS_PER_MONTH)
    season_gross = sum(season_items.values()) + sum(gross_fixed.values())
    quiet_gross = sum(quiet_items.values()) + sum(gross_fixed.values())
    season_net = after_free_tier(season_items, season_day, DAYS_PER_MONTH) + sum(net_fixed.values())
    quiet_net = after_free_tier(quiet_items, quiet, DAYS_PER_MONTH) + sum(net_fixed.values())
    print(
        f"\nidle tick: {idle.usage.dml_jobs} BigQuery DML jobs, {len(idle.usage.jobs)} jobs in "
        f"{args.idle_ticks} ticks"
    )
    print(
        f"without free tiers: season month ${season_gross:.2f}, off-season month ${quiet_gross:.2f}"
    )
    print(f"season month ${season_net:.2f}, off-season month ${quiet_net:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
