"""How long a promotion takes to reach the running system function on the local stack.

The stack runs with ``STRIKEOUTS_ALIAS_TTL_SECONDS=--ttl``; a second ``v1_baseline`` version is
trained into its model store. Then ``--promotions`` times: move the champion to the other
version, and publish a one-game game-schedule event with a fresh run id every ``--interval``
seconds until the ``v1_baseline`` rows of a run carry the new ``model_version`` (read from the
staging table the ensemble writes, so no MERGE is in the loop). Two figures per promotion:

- served: promotion → publication of the first run the new version answered (what the TTL
  bounds: at most TTL + one message, give or take the publishing interval);
- visible: promotion → that run's rows readable in BigQuery (served + the pipeline's latency).

Between promotions the same one-game events keep coming every ``--interval`` seconds for a
random time up to the TTL (steady traffic: each function refreshes its cached aliases once per
TTL), so a promotion lands at a random phase of the TTL and the figures sample it: served is
about uniform over 0..TTL, its max approaches TTL + one message.

Usage: .venv/bin/python benchmarks/alias_propagation.py --warehouse W.duckdb [--ttl 30]
       [--promotions 5] [--interval 1.0]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import time
import uuid
from pathlib import Path

from strikeouts.cloud.bigquery_warehouse import BigQueryWarehouse
from strikeouts.cloud.functions import open_function_model_store
from strikeouts.cloud.publish import build_schedule_event, publish_schedule
from strikeouts.cloud.pubsub import PubSubPublisher
from strikeouts.cloud.staging import staging_table
from strikeouts.devstack.stack import StackInfo
from strikeouts.models.object_store import ObjectModelStore
from strikeouts.models.service import register, train, training_frame
from strikeouts.names import CHAMPION, PREDICTIONS
from strikeouts.pipeline.payloads import GameScheduleEvent
from strikeouts.warehouse.duckdb_backend import ReadOnlyDuckDBWarehouse

sys.path.insert(0, str(Path(__file__).parent))
from stack_session import bench_stack

SYSTEM = "v1_baseline"
DAY = dt.date(2025, 7, 4)
TRAIN_END = dt.date(2025, 3, 1)
OTHER_END = dt.date(2024, 8, 1)


def one_game_event(info: StackInfo, run_id: str) -> GameScheduleEvent:
    """The first game of DAY as a game-schedule event (two starters: a light run)."""
    features = ReadOnlyDuckDBWarehouse(info.feature_warehouse)
    try:
        event = build_schedule_event(features, DAY, run_id, dt.datetime.now(dt.UTC))
    finally:
        features.close()
    event["games"] = event["games"][:1]
    return event


def versions_of(cloud: BigQueryWarehouse, run_ids: list[str]) -> dict[str, str]:
    """run id → the model_version of its staged v1_baseline rows (runs with rows only)."""
    frame = cloud.query(
        f"SELECT DISTINCT run_id, model_version FROM {staging_table(PREDICTIONS)} "
        "WHERE system_id = @s AND run_id IN UNNEST(@r)",
        {"s": SYSTEM, "r": run_ids},
    )
    return dict(zip(frame["run_id"], frame["model_version"], strict=True))


def steady_traffic(
    info: StackInfo, publisher: PubSubPublisher, seconds: float, interval: float
) -> None:
    """One-game events with fresh run ids every ``interval`` s for ``seconds`` s."""
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        publish_schedule(publisher, one_game_event(info, f"bench-steady-{uuid.uuid4().hex[:8]}"))
        time.sleep(min(interval, max(0.0, until - time.monotonic())))


def one_promotion(
    info: StackInfo,
    store: ObjectModelStore,
    cloud: BigQueryWarehouse,
    publisher: PubSubPublisher,
    interval: float,
    timeout: float,
) -> tuple[float, float, str]:
    """(served, visible, version) of one champion move to the other version."""
    current = store.aliases(SYSTEM)[CHAMPION]
    target = next(v for v in store.list_versions(SYSTEM)[-2:] if v != current)
    promoted = time.monotonic()
    store.move_alias(SYSTEM, CHAMPION, target, expected=current)
    published: dict[str, float] = {}
    next_publish = promoted
    while time.monotonic() - promoted < timeout:
        if time.monotonic() >= next_publish:
            run_id = f"bench-alias-{uuid.uuid4().hex[:8]}"
            publish_schedule(publisher, one_game_event(info, run_id))
            published[run_id] = time.monotonic()
            next_publish += interval
        served = [r for r, v in versions_of(cloud, list(published)).items() if v == target]
        if served:
            first = min(served, key=published.__getitem__)
            return published[first] - promoted, time.monotonic() - promoted, target
        time.sleep(0.2)
    raise TimeoutError(f"{SYSTEM}@champion → {target}: no row carried it after {timeout} s")


def main() -> int:
    """Bring the stack up with the TTL, measure the promotions, bring it down; print figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, default=None)
    parser.add_argument("--ttl", type=float, default=30.0, help="alias TTL of the functions (s)")
    parser.add_argument("--promotions", type=int, default=5)
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between events")
    parser.add_argument("--timeout", type=float, default=180.0)
    args = parser.parse_args()
    ttl_env = {"STRIKEOUTS_ALIAS_TTL_SECONDS": str(args.ttl)}
    with bench_stack(args.warehouse, "alias-propagation-", TRAIN_END, ttl_env) as stack:
        store = open_function_model_store(stack.settings)
        other = ReadOnlyDuckDBWarehouse(stack.info.feature_warehouse)
        try:
            register(store, train(training_frame(other, OTHER_END), SYSTEM, OTHER_END), None)
        finally:
            other.close()
        publisher = PubSubPublisher.from_settings(stack.settings)
        # warm the functions (cold starts are not propagation)
        publish_schedule(
            publisher, one_game_event(stack.info, f"bench-warm-{uuid.uuid4().hex[:6]}")
        )
        time.sleep(5.0)
        served, visible = [], []
        for i in range(1, args.promotions + 1):
            # a random phase of the TTL, under steady traffic
            steady_traffic(stack.info, publisher, random.uniform(0.0, args.ttl), args.interval)
            s, v, version = one_promotion(
                stack.info, store, stack.cloud, publisher, args.interval, args.timeout
            )
            served.append(s)
            visible.append(v)
            print(f"promotion {i} → {version}: served after {s:.2f} s, rows after {v:.2f} s")
        print(
            f"alias TTL {args.ttl:g} s, events every {args.interval:g} s, "
            f"{len(served)} promotions: served median {statistics.median(served):.2f} s, "
            f"max {max(served):.2f} s; rows visible median {statistics.median(visible):.2f} s, "
            f"max {max(visible):.2f} s"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
