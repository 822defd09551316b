"""Full 2025 season replay on the embedded pipeline, and per-message handler cost vs raw predict.

Usage: .venv/bin/python benchmarks/replay.py [--warehouse PATH] [--model-store DIR] [--runs 3]
       [--sample 90] [--baseline-src DIR [--systems v1_baseline,v1_6_rolling]]
Goals: replay >= 1,000 pitcher-games/s (2 cores), the median of ``--runs`` full replays, each
into a fresh copy of the sources; system-handler time per message <= 3x the raw model predict
time of the same rows. Both baselines are printed, each next to the handler mode it matches:
the handler alone on one message (as a Cloud Function runs it) against a 1-row predict
(TrainedSystem.predict on a 1-row frame), and the embedded handler (a drain's messages prepared
in one batch, then each handled) against a batch predict (all rows of the day in one call),
per row; medians of repeated timings, in the same process. Sources are copied to a temporary
warehouse, so the replay writes nothing into yours. Models: champions trained before the season
(2025-03-27) by ensure_champions, trained once into the model store when missing, and loaded
before any timing.

With ``--baseline-src`` (a checkout of the code to compare with, e.g. ``git worktree add
/tmp/base main``), the embedded replay is timed alternately by that code and by this one, each
run in a fresh subprocess with its own code first on the path, on the same sources and the same
systems (``--systems``: those both codes have), each code training its own champions; the
figure is the ratio of the medians (goal: this code's replay at most 10% slower). Only that
comparison runs then.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from strikeouts.adapters import open_model_store
from strikeouts.data.ingest import ingest_all
from strikeouts.models.service import ensure_champions
from strikeouts.pipeline.clock import SystemClock
from strikeouts.pipeline.config import PipelineConfig
from strikeouts.pipeline.handlers import Fanout, SystemHandler
from strikeouts.pipeline.messages import encode
from strikeouts.runtime.features import WarehouseFeatureSource
from strikeouts.runtime.predictors import ModelPredictor
from strikeouts.runtime.runner import Runner, RunSummary, load_predictors
from strikeouts.runtime.schedule import schedule_event, slate
from strikeouts.settings import Settings, get_settings
from strikeouts.warehouse.duckdb_backend import DuckDBWarehouse

ROOT = Path(__file__).resolve().parents[1]
SEASON = (dt.date(2025, 3, 27), dt.date(2025, 9, 28))
SAMPLE_DATES = (dt.date(2025, 6, 10), dt.date(2025, 7, 19), dt.date(2025, 8, 20))
GOAL_RATE = 1000.0
GOAL_RATIO = 3.0
GOAL_SLOWDOWN = 1.10
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


def _by_date(messages: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The messages of each date: what one drain of the embedded bus shows a system."""
    days: dict[str, list[dict[str, Any]]] = {}
    for m in messages:
        days.setdefault(m["header"]["game_date"], []).append(m)
    return list(days.values())


def _overhead(predictor: ModelPredictor, messages: list[dict[str, Any]]) -> dict[str, float]:
    """Median microseconds per row of each raw predict and each handler mode."""
    system = predictor.system
    handler = SystemHandler(predictor, _Drop(), PipelineConfig(), SystemClock())
    one_row, single, batch, drained = [], [], [], []
    for day in _by_date(messages):
        frame = pd.DataFrame([m["features"] for m in day])
        lines = [
            np.nan if m["header"]["line"] is None else m["header"]["line"]["line"] for m in day
        ]
        payloads = [encode("pitcher-game", m) for m in day]

        def drain(payloads: list[bytes] = payloads) -> None:
            handler.prepare(payloads)
            for payload in payloads:
                handler(payload)

        batch.append(_median_us(partial(system.predict, frame, lines), 7) / len(day))
        drained.append(_median_us(drain, 7) / len(day))
        for i, payload in enumerate(payloads):
            row = partial(system.predict, frame.iloc[[i]], lines[i : i + 1])
            one_row.append(_median_us(row, 5))
            single.append(_median_us(partial(handler, payload), 5))
    return {
        "one_row": statistics.median(one_row),
        "single": statistics.median(single),
        "batch": statistics.median(batch),
        "drained": statistics.median(drained),
    }


def _replay(source: DuckDBWarehouse, predictors: list[ModelPredictor], tmp: Path) -> RunSummary:
    """One full-season replay into a fresh copy of the sources and a fresh state file."""
    warehouse = _copy_sources(source, tmp / "warehouse.duckdb")
    try:
        runner = Runner(warehouse, predictors, tmp / "state.duckdb")
        return runner.run(*SEASON, run_id=f"bench-{time.time_ns()}")
    finally:
        warehouse.close()


def _copy_sources(source: DuckDBWarehouse, target: Path) -> DuckDBWarehouse:
    copy = DuckDBWarehouse(target)
    for table in SOURCES:
        copy.replace_table(table, source.query(f"SELECT * FROM {table}"))
    return copy


def _worker(args: argparse.Namespace) -> int:
    """One replay with the code on this process's path; prints its rate as JSON (last line)."""
    source = DuckDBWarehouse(args.warehouse)
    store = open_model_store(Settings(warehouse=args.warehouse, model_store=args.model_store))
    systems = args.systems.split(",")
    ensure_champions(source, store, SEASON[0], systems)
    predictors = load_predictors(store, systems)
    with tempfile.TemporaryDirectory() as tmp:
        summary = _replay(source, predictors, Path(tmp))
    source.close()
    print(json.dumps({"rate": summary.pitcher_games_per_second, "seconds": summary.seconds}))
    return 0


def _compare(args: argparse.Namespace, warehouse: str) -> bool:
    """This code's embedded replay against ``--baseline-src``'s, alternating subprocesses."""
    codes = {"baseline": Path(args.baseline_src) / "shared", "this": ROOT / "shared"}
    rates: dict[str, list[float]] = {name: [] for name in codes}
    for _ in range(max(args.runs, 1)):
        for name, code in codes.items():
            store = Path(tempfile.gettempdir()) / f"strikeouts-bench-models-{name}"
            command = [sys.executable, __file__, "--worker", "--warehouse", warehouse]
            command += ["--model-store", str(store), "--systems", args.systems]
            env = {**os.environ, "PYTHONPATH": str(code)}
            out = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
            rates[name].append(float(json.loads(out.stdout.strip().splitlines()[-1])["rate"]))
    base, this = (statistics.median(rates[n]) for n in ("baseline", "this"))
    slowdown = base / this
    print(
        f"embedded replay, {args.systems}: this code {this:,.0f} vs baseline {base:,.0f} "
        f"pitcher-games/s (medians of {len(rates['this'])} alternating runs: "
        f"{', '.join(f'{r:,.0f}' for r in rates['this'])} vs "
        f"{', '.join(f'{r:,.0f}' for r in rates['baseline'])}); time ratio {slowdown:.3f} "
        f"(goal <= {GOAL_SLOWDOWN:.2f})"
    )
    return slowdown <= GOAL_SLOWDOWN


def main() -> int:
    """Print the figures; exit 1 when a goal is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", default=None)
    parser.add_argument("--model-store", default=None)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sample", type=int, default=90)
    parser.add_argument("--baseline-src", default=None, help="checkout to compare with")
    parser.add_argument("--systems", default="v1_baseline,v1_6_rolling")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return _worker(args)
    base = get_settings()
    settings = Settings(
        warehouse=args.warehouse or base.warehouse,
        model_store=args.model_store
        or str(Path(tempfile.gettempdir()) / "strikeouts-bench-models"),
    )
    source = DuckDBWarehouse(settings.warehouse)
    if source.row_count("pitcher_starts") == 0:
        print(f"{settings.warehouse} is empty: ingesting {base.data_dir} first (not timed)")
        ingest_all(base.data_dir, source)
    if args.baseline_src:  # the comparison alone: its subprocesses open the warehouse
        source.close()
        return 0 if _compare(args, settings.warehouse) else 1
    store = open_model_store(settings)
    ensure_champions(source, store, SEASON[0], progress=print)
    predictors = load_predictors(store)
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(max(args.runs, 1)):
            runs.append(_replay(source, predictors, Path(tmp) / f"run{i}"))
        messages = _messages(source, args.sample)
    source.close()
    summary = runs[-1]
    rates = sorted(r.pitcher_games_per_second for r in runs)
    rate = statistics.median(rates)
    print(
        f"replay {SEASON[0]}..{SEASON[1]}: {summary.pitcher_games:,} pitcher-games, "
        f"{summary.rows_written:,} rows; median of {len(runs)} runs = {rate:,.0f} pitcher-games/s "
        f"(goal >= {GOAL_RATE:,.0f}; runs {', '.join(f'{r:,.0f}' for r in rates)}; "
        f"{statistics.median(r.seconds for r in runs):.2f} s); statuses {summary.statuses}; "
        f"dead letters {summary.dead_letters}; load average {os.getloadavg()[0]:.2f}"
    )
    ok = rate >= GOAL_RATE
    for predictor in predictors:
        t = _overhead(predictor, messages)
        single, drained = t["single"] / t["one_row"], t["drained"] / t["batch"]
        print(
            f"{predictor.system_id} over {len(messages)} messages (median us/row): "
            f"handler alone {t['single']:.1f} vs raw 1-row predict {t['one_row']:.1f} = "
            f"{single:.2f}x (goal <= {GOAL_RATIO:g}x); embedded handler (batch prepared) "
            f"{t['drained']:.1f} vs raw batch predict {t['batch']:.1f} = {drained:.2f}x "
            f"(goal <= {GOAL_RATIO:g}x)"
        )
        ok = ok and single <= GOAL_RATIO and drained <= GOAL_RATIO
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
