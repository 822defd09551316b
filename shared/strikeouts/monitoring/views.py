"""The monitoring views: one BigQuery SQL file each under ``schemas/bigquery/views``.

Invariant: the SQL files are the single source of truth. DuckDB runs them through sqlglot (the
warehouse port), BigQuery as written with its table references qualified by the dataset (the
same rule Terraform applies), and every window is a SUM over the views' daily rows: no metric
is computed anywhere else from the raw tables. A window leaves out in-sample rows (a model
judged on the starts it was fitted on) unless it is asked to include them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from strikeouts.names import (
    DEAD_LETTERS,
    PREDICTIONS,
    PREDICTIONS_LATEST,
    REJECTED_MESSAGES,
    SHADOW_PREDICTIONS,
)
from strikeouts.settings import SCHEMAS_DIR
from strikeouts.warehouse.base import Warehouse
from strikeouts.warehouse.schemas import table_names

VIEWS_DIR = SCHEMAS_DIR / "bigquery" / "views"
# creation order: each view reads only tables and the views before it
VIEWS: tuple[str, ...] = (
    PREDICTIONS_LATEST,
    "graded_predictions",
    "todays_picks",
    "system_comparison",
    "system_performance",
    "system_performance_30d",
    "daily_coverage",
    "system_agreement",
    "confidence_calibration",
    "challenger_comparison",
)
SOURCE_TABLES = (
    PREDICTIONS,
    SHADOW_PREDICTIONS,
    "pitcher_starts",
    "prop_lines",
    REJECTED_MESSAGES,
    DEAD_LETTERS,
    "prediction_grades",
)

# ratio = numerator / denominator over summed daily rows, per view
RATIOS: dict[str, dict[str, tuple[str, str]]] = {
    "system_performance": {
        "mae": ("sum_abs_error", "graded"),
        "confidence_avg": ("confidence_sum", "confidence_n"),
        "median_mae": ("sum_abs_median_error", "median_graded"),
        "bias": ("sum_error", "graded"),
        "brier": ("brier_sum", "brier_n"),
        "hit_rate": ("wins", "wins + losses"),
        "roi": ("profit", "wins + losses + pushes"),
        "mae_on_close_rows": ("close_rows_sum_abs_error", "close_n"),
        "close_mae": ("close_sum_abs_error", "close_n"),
    },
    "system_agreement": {"mae": ("sum_abs_error", "graded")},
    "confidence_calibration": {
        "mae": ("sum_abs_error", "graded"),
        "hit_rate": ("wins", "wins + losses"),
    },
}
# per-day extremes that roll up as the extreme of the days'
EXTREMES: dict[str, dict[str, str]] = {
    "system_performance": {"confidence_min": "MIN", "confidence_max": "MAX"},
}
SUMMED: dict[str, tuple[str, ...]] = {
    "system_performance": (
        "predictions",
        "answered",
        "actionable",
        "skips",
        "fallbacks",
        "errors",
        "graded",
        "confidence_n",
        "confidence_sum",
        "sum_abs_error",
        "sum_error",
        "median_graded",
        "sum_abs_median_error",
        "brier_n",
        "brier_sum",
        "wins",
        "losses",
        "pushes",
        "voids",
        "profit",
        "close_n",
        "close_rows_sum_abs_error",
        "close_sum_abs_error",
    ),
    "system_agreement": ("pitcher_games", "same_call", "graded", "sum_abs_error"),
    "confidence_calibration": (
        "predictions",
        "graded",
        "sum_abs_error",
        "wins",
        "losses",
        "pushes",
    ),
}


def view_path(name: str) -> Path:
    """The SQL file of view ``name``."""
    return VIEWS_DIR / f"{name}.sql"


def view_sql(name: str, dataset: str | None = None) -> str:
    """The ``CREATE OR REPLACE VIEW`` statement of ``name``; references qualified by ``dataset``.

    BigQuery views must name their tables with the dataset; CTE names are left alone because
    only the project's own tables and views are qualified (so a CTE must never reuse a table's
    name). ``infra/modules/view_query`` applies the same rule for Terraform.
    """
    sql = view_path(name).read_text()
    if dataset is None:
        return sql
    names = "|".join(sorted({*table_names(), *VIEWS}, key=len, reverse=True))
    qualified = re.sub(rf"\b(FROM|JOIN)\s+({names})\b", rf"\1 `{dataset}.\2`", sql)
    return re.sub(r"VIEW\s+(\w+)\s+AS", rf"VIEW `{dataset}.\1` AS", qualified, count=1)


def ensure_views(warehouse: Warehouse) -> None:
    """Create the tables the views read (when missing) and (re)create every view in order."""
    if not warehouse.manages_schema:
        return
    warehouse.ensure_tables(SOURCE_TABLES)
    dataset = getattr(warehouse, "dataset_id", None)
    for name in VIEWS:
        warehouse.execute(view_sql(name, dataset))


def rollup(
    warehouse: Warehouse,
    view: str,
    start: dt.date,
    end: dt.date,
    by: Sequence[str] = ("system_id",),
    *,
    include_in_sample: bool = False,
) -> pd.DataFrame:
    """The daily rows of ``view`` dated ``start..end`` summed per ``by``, ratios recomputed;
    rows predicted by a model fitted on their date or later (``in_sample``) are left out unless
    ``include_in_sample``."""
    if view not in SUMMED:
        raise ValueError(f"{view!r} has no additive columns; choose one of {sorted(SUMMED)}")
    kept = "" if include_in_sample else " AND NOT in_sample"
    keys = ", ".join(by)
    sums = ", ".join(
        [f"SUM({c}) AS {c}" for c in SUMMED[view]]
        + [f"{how}({c}) AS {c}" for c, how in EXTREMES.get(view, {}).items()]
    )
    ratios = ", ".join(
        f"SAFE_DIVIDE(SUM({num}), {_summed(den)}) AS {name}"
        for name, (num, den) in RATIOS[view].items()
    )
    sql = (
        f"SELECT {keys}, {sums}, {ratios} FROM {view} "
        f"WHERE game_date BETWEEN @start AND @end{kept} GROUP BY {keys} ORDER BY {keys}"
    )
    return warehouse.query(sql, {"start": start, "end": end})


def _summed(expression: str) -> str:
    """``a + b`` → ``SUM(a) + SUM(b)``: denominators are sums of summed columns."""
    return " + ".join(f"SUM({part.strip()})" for part in expression.split("+"))


def read_view(
    warehouse: Warehouse, view: str, start: dt.date, end: dt.date, order: str = "game_date"
) -> pd.DataFrame:
    """Every row of ``view`` dated ``start..end``, ordered by ``order``."""
    if view not in VIEWS:
        raise ValueError(f"unknown view {view!r}; choose one of {list(VIEWS)}")
    return warehouse.query(
        f"SELECT * FROM {view} WHERE game_date BETWEEN @start AND @end ORDER BY {order}",
        {"start": start, "end": end},
    )
