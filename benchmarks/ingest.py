"""Full ingest of the real data into a fresh temporary DuckDB: wall time, peak memory, rows/s.

Usage: .venv/bin/python benchmarks/ingest.py [--runs 3] [--data-dir PATH]
Goal: median wall time under 30 s on 2 cores.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

from strikeouts.data.ingest import ingest_all
from strikeouts.settings import get_settings
from strikeouts.warehouse.duckdb_backend import DuckDBWarehouse

GOAL_SECONDS = 30.0


def _peak_rss_mib() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / (1024 if sys.platform == "darwin" else 1)  # bytes on macOS, KiB else


def main() -> int:
    """Run the benchmark and print its figures; exit 1 when the median misses the goal."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args()
    data_dir = args.data_dir or get_settings().data_dir
    times: list[float] = []
    rows = 0
    for run in range(1, max(1, args.runs) + 1):
        with tempfile.TemporaryDirectory() as tmp:
            store = DuckDBWarehouse(Path(tmp) / "bench.duckdb")
            started = time.perf_counter()
            report = ingest_all(data_dir, store)
            times.append(time.perf_counter() - started)
            store.close()
        rows = sum(report.rows.values())
        print(f"run {run}: {times[-1]:.2f} s, {rows:,} rows written", flush=True)
    median = statistics.median(times)
    print(
        f"median wall time: {median:.2f} s over {len(times)} run(s) (goal < {GOAL_SECONDS:.0f} s)"
    )
    print(f"rows/s: {rows / median:,.0f}  ({rows:,} rows in {len(report.rows)} tables)")
    print(f"peak RSS: {_peak_rss_mib():.0f} MiB")
    return 0 if median < GOAL_SECONDS else 1


if __name__ == "__main__":
    raise SystemExit(main())
