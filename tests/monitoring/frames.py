"""Compare query results across backends: cells normalized, rows in a canonical order."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pandas as pd

Cell = Any


def cell(value: Any) -> Cell:
    """One cell as a comparable value: NULLs as None, numbers as floats to 1e-9, lists as tuples."""
    if isinstance(value, list | tuple | np.ndarray):
        return tuple(cell(v) for v in value)
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | float | np.integer | np.floating):
        number = float(value)
        return None if math.isnan(number) else round(number, 9)
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value.isoformat()
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day).isoformat()
    return str(value)


def canonical(frame: pd.DataFrame) -> list[tuple[Cell, ...]]:
    """The frame's rows as tuples of normalized cells (columns sorted), sorted."""
    columns = sorted(frame.columns)
    rows = [tuple(cell(v) for v in row) for row in frame[columns].itertuples(index=False)]
    return sorted(rows, key=repr)
