"""Export prediction rows from either warehouse in one canonical form, so the embedded and
the cloud paths can be compared file to file.

Invariant: same columns in schema order (minus the processing times ``created_at``,
``processed_at`` and ``run_created_at``: when a row was computed and when each path started the
run, not what was predicted), lists as JSON arrays, floats at full
precision, rows sorted by the key (run_id, game_id, pitcher_id, system_id).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from strikeouts.names import PREDICTIONS
from strikeouts.warehouse.base import Warehouse
from strikeouts.warehouse.schemas import load_schema

KEY = ("run_id", "game_id", "pitcher_id", "system_id")
PROCESSING_COLUMNS = ("created_at", "run_created_at", "processed_at")


def export_columns(include_processing: bool = False) -> list[str]:
    """The exported columns, in the table's schema order."""
    names = load_schema(PREDICTIONS).column_names
    return [n for n in names if include_processing or n not in PROCESSING_COLUMNS]


def _cell(value: Any) -> Any:
    if isinstance(value, list | tuple | np.ndarray):
        return json.dumps([_cell(v) for v in value])
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return ""
    if isinstance(value, pd.Timestamp):
        return value.tz_convert("UTC").isoformat() if value.tzinfo else value.isoformat()
    if isinstance(value, float | np.floating):
        return repr(float(value))
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def prediction_rows(
    warehouse: Warehouse, run_ids: list[str] | None = None, include_processing: bool = False
) -> pd.DataFrame:
    """The prediction rows (of ``run_ids``, or all) in the canonical export form."""
    columns = export_columns(include_processing)
    sql = f"SELECT * FROM {PREDICTIONS}"
    params: dict[str, Any] = {}
    if run_ids:
        sql += " WHERE run_id IN UNNEST(@run_ids)"
        params["run_ids"] = list(run_ids)
    frame = warehouse.query(sql, params)
    frame = frame.sort_values(list(KEY), kind="stable").reset_index(drop=True)
    return pd.DataFrame(
        {c: [_cell(v) for v in frame[c].tolist()] for c in columns}, columns=columns
    )


def export_predictions(
    warehouse: Warehouse,
    out: Path,
    run_ids: list[str] | None = None,
    include_processing: bool = False,
) -> int:
    """Write the canonical CSV to ``out``; returns the rows written."""
    rows = prediction_rows(warehouse, run_ids, include_processing)
    out.parent.mkdir(parents=True, exist_ok=True)
    rows.to_csv(out, index=False)
    return len(rows)
