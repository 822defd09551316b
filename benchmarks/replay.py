"""Full 2025 season replay on the embedded pipeline, and per-message handler cost vs raw predict.

Usage: .venv/bin/python benchmarks/replay.py [--warehouse PATH] [--model-store DIR] [--sample 90]
Goals: replay >= 1,000 pitcher-games/s (2 cores); system-handler time per message <= 3x the raw
model predict time of the same row. Both baselines are printed: a batch predict (all rows in
one call, per row) and a per-row predict (TrainedSystem.predict on a 1-row frame), medians of
repeated timings, measured in the same process. Sources are copied to a temporary warehouse, so
the replay writes nothing into yours. Models: champions trained before the season (2025-03-27)
by ensure_champions, trained once into the model store when missing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from strikeouts.models.service import ensure_champions
from strikeouts.models.store import open_model_store
from strikeouts.pipeline.clock import SystemClock
from strikeouts.pipeline.config import PipelineConfig
from strikeouts.pipeline.handlers import Fanout, SystemHandler
from strikeouts.pipeline.messages import encode
from strikeouts.runtime.features import WarehouseFeatureSource
from strikeouts.runtime.predictors import ModelPredictor
from strikeouts.runtime.runner import Runner, load_predictors
from strikeouts.runtime.schedule import schedule_event, slate
from strikeouts.settings import Settings, get_settings
from strikeouts.warehouse.duckdb_backend import DuckDBWarehouse

SEASON = (dt.date(2025, 3, 27), dt.date(2025, 9, 28))
SAMPLE_DATES = (dt.date(2025, 6, 10), dt.date(2025, 7, 19), dt.date(2025, 8, 20))
GOAL_RATE = 1000.0
GOAL_RATIO = 3.0
SOURCES = ("games", "pitcher_starts", "prop_lines")


class _Drop:
    """A Publisher that discards (the handler's own cost is what is measured)."""

    def publish(self, topic: str, message: Any, attributes: Any = None) -> str:
        return "0"


def _median_us(action: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e6


def _messages(warehouse: DuckDBWarehouse, limit: int) -> list[dict[str, Any]]:
    class Keep(_Drop):
        def __init__(self) -> None:
            self.sent: list[dict[str, Any]] = []

        def publish(self, topic: str, message: Any, attributes: Any = None) -> str:
            self.sent.append(message)
            return "0"

    keep = Keep()
    fanout = Fanout(WarehouseFeatureSource(warehouse), keep, PipelineConfig())
    for day in SAMPLE_DATES:
        rows = slate(warehouse, day, day).to_dict("records")
        fanout(schedule_event(rows, day, "bench-sample", SystemClock().now()))
    return keep.sent[:limit]


def _overhead(predictor: ModelPredictor, messages: list[dict[str, Any]]) -> dict[str, float]:
    """Median microseconds per row: batch predict, 1-row predict, adapter, full handler."""
    frame = pd.DataFrame([m["features"] for m in messages])
    lines = [
        np.nan if m["header"]["line"] is None else m["header"]["line"]["line"] for m in messages
    ]
    system = predictor.system
    batch = _median_us(lambda: system.predict(frame, lines), 7) / len(messages)
    one_row = statistics.median(
        _median_us(lambda i=i: system.predict(frame.iloc[[i]], lines[i : i + 1]), 3)
        for i in range(len(messages))
    )
    adapter = statistics.median(_median_us(lambda m=m: predictor.predict(m), 3) for m in messages)
    handler = SystemHandler(predictor, _Drop(), PipelineConfig(), SystemClock())
    payloads = [encode("pitcher-game", m) for m in messages]
    per_message = statistics.median(_median_us(lambda p=p: handler(p), 3) for p in payloads)
    return {"batch": batch, "one_row": one_row, "adapter": adapter, "handler": per_message}


def _copy_sources(source: DuckDBWarehouse, target: Path) -> DuckDBWarehouse:
    copy = DuckDBWarehouse(target)
    for table in SOURCES:
        copy.replace_table(table, source.query(f"SELECT * FROM {table}"))
    return copy


def main() -> int:
    """Print the figures; exit 1 when a goal is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", default=None)
    parser.add_argument("--model-store", default=None)
    parser.add_argument("--sample", type=int, default=90)
    args = parser.parse_args()
    base = get_settings()
    settings = Settings(
        warehouse=args.warehouse or base.warehouse,
        model_store=args.model_store
        or str(Path(tempfile.gettempdir()) / "strikeouts-bench-models"),
    )
    source = DuckDBWarehouse(settings.warehouse)
    store = open_model_store(settings)
    ensure_champions(source, store, SEASON[0], progress=print)
    predictors = load_predictors(store)
    with tempfile.TemporaryDirectory() as tmp:
        warehouse = _copy_sources(source, Path(tmp) / "warehouse.duckdb")
        source.close()
        runner = Runner(warehouse, predictors, Path(tmp) / "state.duckdb")
        summary = runner.run(*SEASON, run_id=f"bench-{int(time.time())}")
        messages = _messages(warehouse, args.sample)
        warehouse.close()
    rate = summary.pitcher_games_per_second
    print(
        f"replay {SEASON[0]}..{SEASON[1]}: {summary.pitcher_games:,} pitcher-games, "
        f"{summary.rows_written:,} rows in {summary.seconds:.2f} s = {rate:,.0f} pitcher-games/s "
        f"(goal >= {GOAL_RATE:,.0f}); statuses {summary.statuses}; "
        f"dead letters {summary.dead_letters}"
    )
    ok = rate >= GOAL_RATE
    for predictor in predictors:
        t = _overhead(predictor, messages)
        ratio = t["handler"] / t["one_row"]
        print(
            f"{predictor.system_id} over {len(messages)} messages (median us/row): "
            f"raw batch {t['batch']:.1f}, raw 1-row {t['one_row']:.1f}, adapter {t['adapter']:.1f}, "
            f"handler {t['handler']:.1f}; handler / raw 1-row = {ratio:.2f}x "
            f"(goal <= {GOAL_RATIO:g}x), handler / raw batch = {t['handler'] / t['batch']:.1f}x"
        )
        ok = ok and ratio <= GOAL_RATIO
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
