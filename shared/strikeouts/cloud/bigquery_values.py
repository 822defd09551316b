"""Python values and frames in BigQuery's terms: typed query parameters, schema fields and
the Parquet files load jobs read (timestamps in microseconds, lists as REPEATED columns)."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from google.cloud import bigquery

from strikeouts.warehouse.base import WarehouseError
from strikeouts.warehouse.schemas import TableSchema

QueryParameter = bigquery.ScalarQueryParameter | bigquery.ArrayQueryParameter


def parameter_type(name: str, value: Any) -> str:
    """The BigQuery type of a Python parameter value (bool before int, datetime before date)."""
    if isinstance(value, bool | np.bool_):
        return "BOOL"
    if isinstance(value, int | np.integer):
        return "INT64"
    if isinstance(value, float | np.floating):
        return "FLOAT64"
    if isinstance(value, Decimal):
        return "NUMERIC"
    if isinstance(value, str):
        return "STRING"
    if isinstance(value, dt.datetime):
        return "TIMESTAMP"
    if isinstance(value, dt.date):
        return "DATE"
    if isinstance(value, bytes):
        return "BYTES"
    raise WarehouseError(
        f"query parameter @{name}={value!r}: cannot infer a BigQuery type from "
        f"{type(value).__name__} (use int, float, str, bool, date, datetime or a list of them)"
    )


def query_parameter(name: str, value: Any) -> QueryParameter:
    """``value`` as a typed BigQuery query parameter named ``name``."""
    if isinstance(value, list | tuple):
        present = [v for v in value if v is not None]
        if not present:
            raise WarehouseError(
                f"query parameter @{name}: cannot infer the element type of {value!r}"
            )
        return bigquery.ArrayQueryParameter(name, parameter_type(name, present[0]), list(value))
    return bigquery.ScalarQueryParameter(name, parameter_type(name, value), value)


def schema_fields(schema: TableSchema) -> list[bigquery.SchemaField]:
    """The table's columns as BigQuery schema fields."""
    return [bigquery.SchemaField.from_api_repr(raw) for raw in schema.bigquery_fields()]


def parquet_bytes(rows: pd.DataFrame) -> io.BytesIO:
    """A conformed frame as an in-memory Parquet file (lists stay lists: REPEATED columns)."""
    buffer = io.BytesIO()
    table = pa.Table.from_pandas(rows, preserve_index=False)
    # BigQuery reads Parquet timestamps in micro- or milliseconds, not pandas' nanoseconds
    pq.write_table(table, buffer, coerce_timestamps="us", allow_truncated_timestamps=True)
    buffer.seek(0)
    return buffer
