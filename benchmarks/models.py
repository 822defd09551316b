"""Models: feature build for a full season, training time per system, predict time per 1,000 rows.

Usage: .venv/bin/python benchmarks/models.py [--runs 3] [--season 2025] [--data-dir PATH]
Ingests the real data into a temporary DuckDB first (not timed). Prints medians; the per-row
predict path (one start at a time, as a system function serves it) is compared with the
batch path in the same run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from strikeouts.data.ingest import ingest_all
from strikeouts.features.history import History
from strikeouts.features.targets import start_targets
from strikeouts.models import service
from strikeouts.models.systems import SYSTEMS
from strikeouts.settings import get_settings
from strikeouts.warehouse.duckdb_backend import DuckDBWarehouse


def _median_seconds(runs: int, fn: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _predict_each(model: Any, rows: list[Any], line: Any) -> None:
    for row in rows:
        model.predict(row, line)


def main() -> int:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--season", type=int, default=2025)
    parser.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args()
    runs = max(1, args.runs)
    with tempfile.TemporaryDirectory() as tmp:
        warehouse = DuckDBWarehouse(Path(tmp) / "bench.duckdb")
        ingest_all(args.data_dir or get_settings().data_dir, warehouse)
        first, last = dt.date(args.season, 1, 1), dt.date(args.season, 12, 31)
        history = History.load(warehouse, before=last + dt.timedelta(days=1))
        n_targets = len(start_targets(history, first, last))
        build = _median_seconds(runs, lambda: service.labelled_features(history, first, last))
        print(f"feature build, season {args.season}: {n_targets} pitcher-games in {build:.2f} s "
              f"({n_targets / build:,.0f} pitcher-games/s), median of {runs}")  # fmt: skip
        train_end = dt.date(args.season, 1, 1)
        frame = service.training_frame(warehouse, train_end)
        sample = frame.sample(1000, random_state=7, replace=len(frame) < 1000)
        lines = np.full(len(sample), 5.5)
        for system_id in SYSTEMS:
            seconds = _median_seconds(runs, partial(service.train, frame, system_id, train_end))
            model = service.train(frame, system_id, train_end)
            batch = _median_seconds(runs, partial(model.predict, sample, lines))
            rows = [sample.iloc[[i]] for i in range(200)]
            single = _median_seconds(runs, partial(_predict_each, model, rows, lines[:1])) / len(
                rows
            )
            print(f"{system_id}: train {seconds:.2f} s on {len(frame):,} starts "
                  f"({model.metadata.hyperparameters['num_boost_round']} trees); predict "
                  f"{batch * 1000:.1f} ms per 1,000 rows batched, {single * 1000:.2f} ms per "
                  f"row one at a time ({single * 1000 / batch:.0f}× the batched cost per "
                  "1,000)")  # fmt: skip
        warehouse.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
