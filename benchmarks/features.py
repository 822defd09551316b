"""Feature build on the real data: a full season in one range build, and the per-date path.

Ingests the real data into a temporary DuckDB once, then times (median of ``--runs``):
- range: ``History.load`` + ``build_features`` for every start of ``--season`` (seconds,
  pitcher-games/s);
- per date: ``History.load(before=D)`` + ``build_features`` for ``--dates`` game dates of
  that season (ms per date).
Usage: .venv/bin/python benchmarks/features.py [--runs 3] [--season 2025] [--dates 10]
Goal: a full season in under 5 s on 2 cores.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import tempfile
import time
from pathlib import Path

from strikeouts.data.ingest import ingest_all
from strikeouts.features import History, build_features, start_targets
from strikeouts.settings import get_settings
from strikeouts.warehouse.duckdb_backend import DuckDBWarehouse

GOAL_SECONDS = 5.0


def _range_run(store: DuckDBWarehouse, season: int) -> tuple[float, int]:
    started = time.perf_counter()
    history = History.load(store)
    targets = start_targets(history, dt.date(season, 1, 1), dt.date(season, 12, 31))
    features = build_features(history, targets)
    return time.perf_counter() - started, len(features)


def _per_date_run(store: DuckDBWarehouse, days: list[dt.date], full: History) -> float:
    targets = {day: start_targets(full, day, day) for day in days}
    started = time.perf_counter()
    for day in days:
        build_features(History.load(store, before=day), targets[day])
    return (time.perf_counter() - started) / len(days)


def main() -> int:
    """Run the benchmark and print its figures; exit 1 when the median misses the goal."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--season", type=int, default=2025)
    parser.add_argument("--dates", type=int, default=10)
    parser.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args()
    data_dir = args.data_dir or get_settings().data_dir
    runs = max(1, args.runs)
    with tempfile.TemporaryDirectory() as tmp:
        store = DuckDBWarehouse(Path(tmp) / "bench.duckdb")
        ingest_all(data_dir, store)
        full = History.load(store)
        dates = sorted(
            {d.date() for d in full.starts.loc[full.starts["season"] == args.season, "game_date"]}
        )
        step = max(1, len(dates) // max(1, args.dates))
        days = dates[::step][: args.dates]
        range_times: list[float] = []
        for run in range(1, runs + 1):
            seconds, rows = _range_run(store, args.season)
            range_times.append(seconds)
            print(f"range run {run}: {seconds:.2f} s for {rows:,} pitcher-games", flush=True)
        date_times = [_per_date_run(store, days, full) for _ in range(runs)]
        store.close()
    median = statistics.median(range_times)
    print(
        f"season {args.season}: median {median:.2f} s over {runs} run(s), "
        f"{rows / median:,.0f} pitcher-games/s (goal < {GOAL_SECONDS:.0f} s)"
    )
    print(
        f"per-date path (load before D + build): median {statistics.median(date_times) * 1000:.0f} "
        f"ms per date over {len(days)} dates"
    )
    return 0 if median < GOAL_SECONDS else 1


if __name__ == "__main__":
    raise SystemExit(main())
