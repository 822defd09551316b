"""Feature build on the real data: a full season in one range build, and the per-date path.

Ingests the real data into a temporary DuckDB once, then times (median of ``--runs``):
- range: ``History.load`` + ``build_features`` for every start of ``--season`` (seconds,
  pitcher-games/s);
- per date: ``History.load(before=D)`` + ``build_features`` for ``--dates`` game dates of
  that season (ms per date, the median over the dates of each date's median over runs);
- per date through the cached source (what fanout runs): ``WarehouseFeatureSource.snapshot``
  on the same dates once its full history is prepared, i.e. the fingerprint query, the slate
  query and the as-of joins (same median), with the one-off load + prepare, the joins alone
  (``build_prepared``) and the ratio to the load + build path.
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
from strikeouts.features import (
    History,
    PreparedHistory,
    build_features,
    build_prepared,
    prepare_history,
    start_targets,
)
from strikeouts.pipeline.ports import PitcherGameRef
from strikeouts.runtime.features import WarehouseFeatureSource
from strikeouts.runtime.schedule import slate
from strikeouts.settings import get_settings
from strikeouts.warehouse.duckdb_backend import DuckDBWarehouse

GOAL_SECONDS = 5.0


def _range_run(store: DuckDBWarehouse, season: int) -> tuple[float, int]:
    started = time.perf_counter()
    history = History.load(store)
    targets = start_targets(history, dt.date(season, 1, 1), dt.date(season, 12, 31))
    features = build_features(history, targets)
    return time.perf_counter() - started, len(features)


def _per_date_run(store: DuckDBWarehouse, days: list[dt.date], full: History) -> list[float]:
    """Seconds per date of ``History.load(before=D)`` + ``build_features``."""
    targets = {day: start_targets(full, day, day) for day in days}
    times = []
    for day in days:
        started = time.perf_counter()
        build_features(History.load(store, before=day), targets[day])
        times.append(time.perf_counter() - started)
    return times


def _refs(store: DuckDBWarehouse, day: dt.date) -> list[PitcherGameRef]:
    return [
        PitcherGameRef(
            str(r["game_id"]), day, int(r["pitcher_id"]), r["team"], r["opponent"], r["is_home"]
        )
        for r in slate(store, day, day).to_dict("records")
    ]


def _cached_run(
    source: WarehouseFeatureSource, refs: dict[dt.date, list[PitcherGameRef]]
) -> list[float]:
    """Seconds per date of a snapshot from the source's prepared full history."""
    times = []
    for day, day_refs in refs.items():
        started = time.perf_counter()
        source.snapshot(day, day_refs)
        times.append(time.perf_counter() - started)
    return times


def _joins_run(prepared: PreparedHistory, days: list[dt.date], full: History) -> list[float]:
    """Seconds per date of the as-of joins alone (``build_prepared``, no warehouse query)."""
    targets = {day: start_targets(full, day, day) for day in days}
    times = []
    for day in days:
        started = time.perf_counter()
        build_prepared(prepared, targets[day])
        times.append(time.perf_counter() - started)
    return times


def _per_date_ms(runs: list[list[float]]) -> float:
    """The median over dates of each date's median over runs, in ms."""
    return statistics.median(statistics.median(times) for times in zip(*runs, strict=True)) * 1000


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
        source = WarehouseFeatureSource(store)
        refs = {day: _refs(store, day) for day in days}
        started = time.perf_counter()
        source.snapshot(days[0], refs[days[0]])  # the first call loads and prepares
        cold = time.perf_counter() - started
        cached_times = [_cached_run(source, refs) for _ in range(runs)]
        if source.loads != 1:
            raise RuntimeError(f"{source.loads} loads of an unchanged warehouse (expected 1)")
        prepared = prepare_history(full)
        join_times = [_joins_run(prepared, days, full) for _ in range(runs)]
        store.close()
    median = statistics.median(range_times)
    print(
        f"season {args.season}: median {median:.2f} s over {runs} run(s), "
        f"{rows / median:,.0f} pitcher-games/s (goal < {GOAL_SECONDS:.0f} s)"
    )
    per_date, cached = _per_date_ms(date_times), _per_date_ms(cached_times)
    print(
        f"per-date path (load before D + build): median {per_date:.1f} ms per date "
        f"over {len(days)} dates"
    )
    print(
        f"per-date path (cached source snapshot: fingerprint + slate + joins): median "
        f"{cached:.1f} ms per date over {len(days)} dates "
        f"(first call, load + prepare: {cold * 1000:.0f} ms; joins alone: median "
        f"{_per_date_ms(join_times):.1f} ms)"
    )
    print(f"per-date speed-up (load + build / cached snapshot): {per_date / cached:.1f}x")
    return 0 if median < GOAL_SECONDS else 1


if __name__ == "__main__":
    raise SystemExit(main())
