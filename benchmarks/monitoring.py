"""Monitoring on a full replayed season (DuckDB): each view, `monitor` over 30 days, `report`.

Usage: .venv/bin/python benchmarks/monitoring.py [--warehouse PATH] [--runs 5]
The warehouse (default: a temporary copy of the ingested sources) is replayed over the 2025
season with champions trained before it, unless it already holds that season's predictions.
Prints the median (and min-max) of ``--runs`` timings of: reading each view whole; the full
catalog for the season's last date with a 30-day window; the season's HTML report.
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

from strikeouts.adapters import open_model_store
from strikeouts.data.ingest import ingest_all
from strikeouts.models.service import ensure_champions
from strikeouts.monitoring.report import write_report
from strikeouts.monitoring.service import monitor
from strikeouts.monitoring.views import VIEWS, ensure_views
from strikeouts.names import PREDICTIONS
from strikeouts.runtime.runner import load_predictors, replay
from strikeouts.settings import MonitorSettings, Settings, get_settings
from strikeouts.warehouse.duckdb_backend import DuckDBWarehouse

SEASON = (dt.date(2025, 3, 27), dt.date(2025, 9, 28))


def _timed(action: Callable[[], object], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return times


def _print(what: str, times: list[float], extra: str = "") -> None:
    print(
        f"{what:<34} median {statistics.median(times) * 1000:8.1f} ms  "
        f"(min {min(times) * 1000:.1f}, max {max(times) * 1000:.1f}){extra}"
    )


def _prepare(path: Path, folder: Path) -> DuckDBWarehouse:
    """The warehouse at ``path``, ingested and replayed over the season when it is not yet."""
    warehouse = DuckDBWarehouse(path)
    if warehouse.row_count("pitcher_starts") == 0:
        ingest_all(get_settings().data_dir, warehouse)
    if warehouse.row_count(PREDICTIONS) < 4000 * 3:
        store = open_model_store(Settings(model_store=str(folder / "models")))
        ensure_champions(warehouse, store, SEASON[0])
        summary = replay(warehouse, load_predictors(store), *SEASON, folder / "state.duckdb")
        print(f"replayed {summary.pitcher_games:,} pitcher-games in {summary.seconds:.1f} s")
    ensure_views(warehouse)
    return warehouse


def main() -> None:
    """Time the views, the catalog and the report on a replayed season."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--warehouse", type=Path, default=None)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        warehouse = _prepare(args.warehouse or folder / "warehouse.duckdb", folder)
        rows = warehouse.row_count(PREDICTIONS)
        print(f"season {SEASON[0]}..{SEASON[1]}: {rows:,} prediction rows; {args.runs} runs each")
        for view in VIEWS:
            count = len(warehouse.query(f"SELECT * FROM {view}"))
            times = _timed(partial(warehouse.query, f"SELECT * FROM {view}"), args.runs)
            _print(f"view {view}", times, f"  {count:,} rows")
        settings = Settings(monitor=MonitorSettings(window_days=30))
        times = _timed(
            lambda: monitor(warehouse, SEASON[1], settings, create_views=False), args.runs
        )
        _print("monitor, 21 checks, 30-day window", times)
        out = folder / "report"
        times = _timed(lambda: write_report(warehouse, *SEASON, out), args.runs)
        size = next(out.glob("*.html")).stat().st_size / 1e6
        _print("report, full season", times, f"  {size:.1f} MB")
        warehouse.close()


if __name__ == "__main__":
    main()
