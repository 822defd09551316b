"""In-sample rows: predicted by a model fitted on starts of their own game date or later.

Invariant: ``graded_predictions.in_sample`` (``game_date < train_end``) is the one rule. Accuracy,
calibration and ROI read graded rows through :func:`kept` or ``views.rollup``, which leave
in-sample rows out unless asked to include them, and whoever leaves them out can say how many
(:func:`in_sample_rows`, :func:`describe`): a model is never judged on its own training starts
without a word.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from strikeouts.warehouse.base import Warehouse

IN_SAMPLE_SQL = """
SELECT system_id, COUNT(*) AS rows, COUNTIF(error IS NOT NULL) AS graded,
  MAX(train_end) AS train_end
FROM graded_predictions
WHERE game_date BETWEEN @start AND @end AND in_sample
GROUP BY system_id ORDER BY system_id
"""


def kept(include_in_sample: bool, alias: str = "") -> str:
    """The condition on ``graded_predictions`` (``alias.`` prefixed) keeping the rows accuracy
    reads: every row with ``include_in_sample``, the out-of-sample ones otherwise."""
    return "TRUE" if include_in_sample else f"NOT {alias + '.' if alias else ''}in_sample"


def in_sample_rows(warehouse: Warehouse, start: dt.date, end: dt.date) -> pd.DataFrame:
    """Per system, its rows dated ``start..end`` that are in sample: ``rows``, how many of them
    have an outcome (``graded``), and the latest ``train_end`` behind them."""
    return warehouse.query(IN_SAMPLE_SQL, {"start": start, "end": end})


def describe(found: pd.DataFrame, *, included: bool) -> str:
    """One sentence on ``found`` (:func:`in_sample_rows`): how many rows, per system, and
    whether the accuracy figures left them out or (``included``) counted them."""
    if found.empty:
        return "no row in sample (every model was fitted on starts before the games it predicted)"
    parts = ", ".join(
        f"{r['system_id']} {int(r['rows'])} ({int(r['graded'])} graded; "
        f"fitted before {_day(r['train_end'])})"
        for r in found.to_dict("records")
    )
    total = int(found["rows"].sum())
    fate = (
        "INCLUDED in accuracy, calibration and ROI as asked: those figures are not out of sample"
        if included
        else "excluded from accuracy, calibration and ROI"
    )
    return f"{total} row(s) in sample: {parts}; {fate}"


def _day(value: dt.date | pd.Timestamp | None) -> str:
    """The day as ISO text ("?" when unknown): DuckDB and BigQuery give a date or a Timestamp."""
    if value is None or pd.isna(value):
        return "?"
    return str(pd.Timestamp(value).date())
