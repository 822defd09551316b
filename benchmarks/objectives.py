"""Which XGBoost objective and count distribution: measured walk-forward, not assumed.

Usage: .venv/bin/python benchmarks/objectives.py [--start 2025-06-01 --end 2026-05-31]
Ingests the real data into a temporary DuckDB, builds point-in-time features once, then for
each candidate objective retrains monthly (starts before each month only) and scores the
month: MAE, bias and, on starts with a closing line, Brier and log loss of P(over) with the
fitted dispersion and with a plain Poisson (dispersion 0). Prints one row per candidate.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from strikeouts.backtest.walkforward import CLOSING_SQL, periods
from strikeouts.countlaw import p_over
from strikeouts.data.ingest import ingest_all
from strikeouts.evaluation.metrics import brier, log_loss, over_outcome
from strikeouts.features.catalog import feature_set
from strikeouts.features.history import History
from strikeouts.models.service import labelled_features
from strikeouts.models.systems import get_system
from strikeouts.models.training import TARGET, fit_system
from strikeouts.settings import get_settings
from strikeouts.warehouse.duckdb_backend import DuckDBWarehouse

CANDIDATES = {
    "count:poisson": {},
    "reg:squarederror": {},
    "reg:tweedie": {"tweedie_variance_power": 1.2},
}
# reg:absoluteerror is left out on purpose: it fits a median, and predicted_strikeouts is an
# expected count (the mean the count distribution for P(over) is built around).


def main() -> int:
    """Run every candidate and print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--start", type=dt.date.fromisoformat, default=dt.date(2025, 6, 1))
    parser.add_argument("--end", type=dt.date.fromisoformat, default=dt.date(2026, 5, 31))
    parser.add_argument("--system", default="v1_6_rolling")
    parser.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        warehouse = DuckDBWarehouse(Path(tmp) / "bench.duckdb")
        ingest_all(args.data_dir or get_settings().data_dir, warehouse)
        history = History.load(warehouse, before=args.end + dt.timedelta(days=1))
        first = pd.Timestamp(history.starts["game_date"].min()).date()
        frame = labelled_features(history, first, args.end)
        closing = warehouse.query(CLOSING_SQL, {"start": args.start, "end": args.end})
        warehouse.close()
    dates = pd.to_datetime(frame["game_date"]).dt.date
    base = get_system(args.system)
    fs = feature_set(base.feature_set)
    print(f"{args.system}, walk-forward monthly {args.start}..{args.end}")
    for objective, extra in CANDIDATES.items():
        params = {k: v for k, v in base.params.items() if k != "tweedie_variance_power"}
        spec = dataclasses.replace(base, objective=objective, params={**params, **extra})
        parts = []
        for period in periods(args.start, args.end, "monthly"):
            test = frame[(dates >= period.start) & (dates <= period.end)]
            if test.empty:
                continue
            model = fit_system(spec, frame, list(fs.names), fs.version, period.start)
            test = test.merge(closing, on=["game_id", "pitcher_id"], how="left")
            mean = model.predict_mean(test)
            raw = model.predict_matrix(test[model.feature_names].to_numpy(dtype=float))
            line = test["close_line"].to_numpy(dtype=float)
            parts.append(
                pd.DataFrame(
                    {
                        "pred": mean,
                        "actual": test[TARGET].to_numpy(dtype=float),
                        "line": line,
                        "p_fit": model.p_over(mean, line),
                        "p_raw": p_over(raw, line, model.alpha),
                        "p_poisson": p_over(raw, line, 0.0),
                        "alpha": model.alpha,
                    }
                )
            )
        r = pd.concat(parts, ignore_index=True)
        lined = r[r["line"].notna()]
        outcome = over_outcome(lined["actual"], lined["line"])
        print(
            f"  {objective:18s} n={len(r)} MAE={np.mean(np.abs(r.pred - r.actual)):.4f} "
            f"bias={np.mean(r.pred - r.actual):+.3f} | lined n={len(lined)} "
            f"MAE={np.mean(np.abs(lined.pred - lined.actual)):.4f} "
            f"Brier calibrated={brier(lined.p_fit, outcome):.4f} "
            f"NB={brier(lined.p_raw, outcome):.4f} Poisson={brier(lined.p_poisson, outcome):.4f} "
            f"logloss calibrated={log_loss(lined.p_fit, outcome):.4f} "
            f"mean alpha={r.alpha.mean():.4f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
