"""Cloud Storage operations per pitcher-game of the real EnsembleHandler, with and without the
per-instance state cache (``CachedStateStore``), on fake-gcs-server.

A schedule of ``--pitcher-games`` pitcher-games (two expected systems each) goes through the
embedded bus in normal order (registration, then both system results); the ensemble's state
store is a GcsStateStore behind a counting spy, plain or cached. Each is run with one ensemble
instance and with two (separate caches, one bucket; every delivery goes to one picked at
random, as push deliveries spread over function instances). Reports GCS loads / saves / 412s
per pitcher-game, and the median time in GCS calls and in the ensemble handlers over ``--runs``.
Usage: .venv/bin/python benchmarks/state_cache_ops.py [--pitcher-games 50] [--runs 5]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from strikeouts.cloud.gcs_state import GcsStateStore
from strikeouts.devstack.emulators.gcs import start_gcs_emulator
from strikeouts.names import CHAMPION, GAME_SCHEDULE
from strikeouts.pipeline.clock import FakeClock, to_iso
from strikeouts.pipeline.config import PipelineConfig
from strikeouts.pipeline.embedded import build_embedded
from strikeouts.pipeline.errors import StateConflict
from strikeouts.pipeline.handlers import EnsembleHandler
from strikeouts.pipeline.messages import PitcherGameKey
from strikeouts.pipeline.ports import (
    AggregationStateStore,
    FeatureRow,
    FeatureSnapshot,
    PitcherGameRef,
    SystemResult,
    Versioned,
)
from strikeouts.pipeline.state_cache import CachedStateStore
from strikeouts.runtime.sinks import WarehousePredictionSink, WarehouseRejectionSink
from strikeouts.warehouse.duckdb_backend import DuckDBWarehouse

SYSTEMS = ("v1_baseline", "v1_6_rolling")
ENSEMBLE_SUBSCRIPTIONS = {"ensemble-register": "on_pitcher_game", "ensemble": "on_result"}


class CountingStore:
    """Counts what reaches Cloud Storage: loads, saves, and saves refused with HTTP 412."""

    def __init__(self, inner: GcsStateStore) -> None:
        self.inner = inner
        self.loads = self.saves = self.conflicts = 0
        self.seconds = 0.0

    def load(self, key: PitcherGameKey) -> Versioned | None:
        self.loads += 1
        started = time.perf_counter()
        try:
            return self.inner.load(key)
        finally:
            self.seconds += time.perf_counter() - started

    def save(self, key: PitcherGameKey, state: Mapping[str, Any], **kwargs: Any) -> int:
        self.saves += 1
        started = time.perf_counter()
        try:
            return self.inner.save(key, state, **kwargs)
        except StateConflict:
            self.conflicts += 1
            raise
        finally:
            self.seconds += time.perf_counter() - started

    def due(self, now: datetime) -> list[PitcherGameKey]:
        return self.inner.due(now)


@dataclasses.dataclass
class ConstantPredictor:
    system_id: str
    feature_set: str
    model_version: str = "1"
    model_alias: str = CHAMPION

    def predict(self, message: Mapping[str, Any]) -> SystemResult:
        return SystemResult(6.0, 0.5 if message["header"]["line"] is not None else None)


class ConstantFeatures:
    def snapshot(self, game_date: date, pitcher_games: Sequence[PitcherGameRef]) -> FeatureSnapshot:
        row = FeatureRow({"k_avg_last5": 6.0}, {s: 1.0 for s in SYSTEMS})
        return FeatureSnapshot([row] * len(pitcher_games), {s: "fs-1" for s in SYSTEMS})


def schedule(pitcher_games: int, now: datetime) -> dict[str, Any]:
    games = []
    for g in range((pitcher_games + 1) // 2):
        home, away = f"H{chr(65 + g % 26)}", f"A{chr(65 + g % 26)}"
        starters = [
            {"pitcher_id": 700000 + 2 * g + k, "team": team, "line": {"line": 5.5}}
            for k, team in enumerate((home, away))
        ][: pitcher_games - 2 * g]
        games.append(
            {"game_id": f"G{g:03d}", "home_team": home, "away_team": away, "starters": starters}
        )
    return {
        "schema_version": 1,
        "message_type": "game-schedule",
        "run_id": f"bench-{uuid.uuid4().hex[:8]}",
        "run_created_at": to_iso(now),
        "game_date": "2024-06-01",
        "games": games,
    }


def run_once(
    client: Any, bucket: str, pitcher_games: int, cached: bool, instances: int, tmp: Path
) -> tuple[list[CountingStore], float]:
    """One schedule through the bus; returns the spies and the seconds spent in the ensemble."""
    clock = FakeClock()
    config = PipelineConfig()
    spies = [CountingStore(GcsStateStore(client, bucket)) for _ in range(instances)]
    stores: list[AggregationStateStore] = [CachedStateStore(s) if cached else s for s in spies]
    warehouse = DuckDBWarehouse(tmp / f"{uuid.uuid4().hex}.duckdb")
    sink = WarehousePredictionSink(warehouse)
    pipe = build_embedded(
        predictors=[ConstantPredictor(s, s) for s in SYSTEMS],
        features=ConstantFeatures(),
        store=stores[0],
        sink=sink,
        rejections=WarehouseRejectionSink(warehouse),
        config=config,
        clock=clock,
    )
    handlers = [pipe.ensemble] + [EnsembleHandler(s, sink, config, clock) for s in stores[1:]]
    pick = random.Random(7)
    spent = [0.0]

    def routed(method: str) -> Callable[[bytes], Any]:
        def handle(payload: bytes) -> Any:
            started = time.perf_counter()
            try:
                return getattr(handlers[pick.randrange(len(handlers))], method)(payload)
            finally:
                spent[0] += time.perf_counter() - started

        return handle

    for name, method in ENSEMBLE_SUBSCRIPTIONS.items():
        sub = pipe.bus.subscriptions[name]
        pipe.bus.subscriptions[name] = dataclasses.replace(sub, handler=routed(method))
    pipe.bus.publish(GAME_SCHEDULE, schedule(pitcher_games, clock.now()))
    pipe.bus.run()
    rows = warehouse.query("SELECT count(*) AS n FROM pitcher_strikeout_predictions")["n"][0]
    warehouse.close()
    assert rows == pitcher_games * (len(SYSTEMS) + 1), f"{rows} rows written"
    assert not pipe.bus.dead_letters
    return spies, spent[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pitcher-games", type=int, default=50)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    import google.cloud.storage as storage
    from google.auth.credentials import AnonymousCredentials

    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        server = start_gcs_emulator(tmp / "gcs")
        try:
            os.environ["STORAGE_EMULATOR_HOST"] = server.endpoint
            client = storage.Client(project="bench", credentials=AnonymousCredentials())
            bucket = f"bench-{uuid.uuid4().hex[:8]}"
            client.create_bucket(bucket)
            n = args.pitcher_games
            print(f"{n} pitcher-games x {len(SYSTEMS)} systems, normal order, {args.runs} runs")
            print(
                "store            instances  loads/pg  saves/pg  412s/pg  ops/pg  GCS ms/pg  ensemble ms/pg (medians)"
            )
            for instances in (1, 2):
                for cached in (False, True):
                    times, gcs_times, last = [], [], None
                    for _ in range(args.runs):
                        spies, seconds = run_once(client, bucket, n, cached, instances, tmp)
                        times.append(1000 * seconds / n)
                        gcs_times.append(1000 * sum(s.seconds for s in spies) / n)
                        last = spies
                    assert last is not None
                    loads = sum(s.loads for s in last) / n
                    saves = sum(s.saves for s in last) / n
                    conflicts = sum(s.conflicts for s in last) / n
                    label = "cached" if cached else "plain"
                    print(
                        f"{label:<16} {instances:>9}  {loads:>8.2f}  {saves:>8.2f}  {conflicts:>7.2f}"
                        f"  {loads + saves:>6.2f}  {statistics.median(gcs_times):>8.2f}"
                        f"  {statistics.median(times):>8.2f}"
                    )
        finally:
            server.stop()


if __name__ == "__main__":
    main()
