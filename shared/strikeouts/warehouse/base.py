"""The warehouse port: what the domain and the CLI may ask of any backend.

Rows going in are conformed to the table's JSON schema first, so a backend never stores
a column the schema does not declare, and a NULL in a REQUIRED column is refused with
the table, column and row named.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

import pandas as pd

from strikeouts.errors import StrikeoutsError
from strikeouts.warehouse.schemas import TableSchema, load_schema


class WarehouseError(StrikeoutsError, RuntimeError):
    """A warehouse operation failed in a way the caller can act on."""


@runtime_checkable
class Warehouse(Protocol):
    """A store of tables defined by ``schemas/bigquery``, queried in BigQuery SQL."""

    name: str

    manages_schema: bool
    """Whether this process creates tables and views (False where Terraform owns them and the
    process's account may not run DDL: ``ensure_tables`` and the view helpers do nothing)."""

    def ensure_tables(self, names: Iterable[str] | None = None) -> None:
        """Create the named tables (default: all with a schema) if they do not exist."""
        ...

    def replace_table(self, table: str, frame: pd.DataFrame) -> int:
        """Replace the whole content of ``table`` with ``frame``; returns the row count."""
        ...

    def merge(self, table: str, frame: pd.DataFrame) -> int:
        """Insert the rows whose key is not yet in ``table``; returns how many were new."""
        ...

    def upsert(self, table: str, frame: pd.DataFrame) -> int:
        """Insert new keys and replace the rows of keys already there, atomically; returns rows."""
        ...

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> pd.DataFrame:
        """Run one BigQuery-dialect statement with ``@name`` parameters."""
        ...

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> None:
        """Run one BigQuery-dialect statement that returns nothing (DDL, views)."""
        ...

    def row_count(self, table: str) -> int:
        """Rows in ``table`` (0 when it does not exist)."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


def conform(table: str | TableSchema, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with exactly the schema's columns, in order, cast to their dtypes.

    Missing NULLABLE columns are added as NULL; missing REQUIRED columns, unknown extra
    columns and NULLs in REQUIRED columns raise :class:`WarehouseError`.
    """
    schema = table if isinstance(table, TableSchema) else load_schema(table)
    names = schema.column_names
    extra = [c for c in frame.columns if c not in names]
    if extra:
        raise WarehouseError(f"{schema.name}: columns not in the schema: {extra}")
    out = pd.DataFrame(index=frame.index)
    for col in schema.columns:
        if col.name not in frame.columns:
            if col.required:
                raise WarehouseError(f"{schema.name}: missing required column {col.name!r}")
            out[col.name] = pd.Series([None] * len(frame), index=frame.index, dtype="object")
        else:
            out[col.name] = frame[col.name]
        if col.required:
            nulls = out[col.name].isna()
            if bool(nulls.any()):
                first = int(nulls.to_numpy().nonzero()[0][0])
                raise WarehouseError(
                    f"{schema.name}.{col.name} is REQUIRED but {int(nulls.sum())} row(s) are NULL "
                    f"(first at position {first})"
                )
        out[col.name] = _cast(out[col.name], col.type, col.repeated)
    return out.reset_index(drop=True)


def conform_records(
    table: str | TableSchema, rows: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """``rows`` as JSON values under :func:`conform`'s rules, row by row (no DataFrame).

    The same checks and casts as :func:`conform` for a handful of rows, where building a
    DataFrame costs far more than the rows themselves: dates and timestamps come out as ISO
    text (timestamps in UTC), NULL (None or NaN) as None, repeated columns as lists.
    """
    schema = table if isinstance(table, TableSchema) else load_schema(table)
    names = set(schema.column_names)
    extra = sorted({c for row in rows for c in row if c not in names})
    if extra:
        raise WarehouseError(f"{schema.name}: columns not in the schema: {extra}")
    out: list[dict[str, Any]] = [{} for _ in rows]
    for col in schema.columns:
        if col.required and rows and all(col.name not in r for r in rows):
            raise WarehouseError(f"{schema.name}: missing required column {col.name!r}")
        nulls = 0
        first = -1
        for i, row in enumerate(rows):
            value = row.get(col.name)
            if col.repeated:
                out[i][col.name] = [_json_cell(v) for v in (value or [])]
                continue
            if _is_null(value):
                if col.required:
                    nulls += 1
                    first = i if first < 0 else first
                out[i][col.name] = None
                continue
            out[i][col.name] = _cast_cell(schema.name, col.name, value, col.type)
        if nulls:
            raise WarehouseError(
                f"{schema.name}.{col.name} is REQUIRED but {nulls} row(s) are NULL "
                f"(first at position {first})"
            )
    return out


def _is_null(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def _json_cell(value: Any) -> Any:
    if hasattr(value, "item") and not isinstance(value, pd.Timestamp):
        value = value.item()  # numpy scalars
    return None if _is_null(value) else value


def _cast_cell(table: str, column: str, value: Any, bq_type: str) -> Any:
    value = _json_cell(value)
    try:
        if bq_type in ("INT64", "INTEGER"):
            number = float(value)
            if not number.is_integer():
                raise ValueError(f"{value!r} is not an integer")
            return int(number)
        if bq_type in ("FLOAT64", "FLOAT"):
            number = float(value)
            return None if math.isnan(number) else number
        if bq_type in ("BOOL", "BOOLEAN"):
            if not isinstance(value, bool | int) or value not in (0, 1):
                raise ValueError(f"{value!r} is not a boolean")
            return bool(value)
        if bq_type == "STRING":
            return str(value)
        if bq_type == "DATE":
            return pd.Timestamp(value).date().isoformat()
        if bq_type == "TIMESTAMP":
            stamp = pd.Timestamp(value)
            stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
            return stamp.isoformat()
    except (TypeError, ValueError) as exc:
        raise WarehouseError(f"{table}.{column} does not fit {bq_type}: {exc}") from exc
    return value


def keyed_rows(table: str, frame: pd.DataFrame) -> tuple[TableSchema, pd.DataFrame]:
    """The rows of ``frame`` a merge into ``table`` considers: conformed, first row per key.

    Every backend's ``merge`` starts here, so all refuse a keyless table the same way.
    """
    schema = load_schema(table)
    if not schema.key:
        raise WarehouseError(f"{table}: no key in schemas/bigquery/tables.json, cannot merge")
    rows = conform(schema, frame).drop_duplicates(subset=list(schema.key), keep="first")
    return schema, rows


def _cast(series: pd.Series, bq_type: str, repeated: bool) -> pd.Series:
    if repeated:
        return series.map(
            lambda v: list(v) if isinstance(v, list | tuple) else ([] if v is None else list(v))
        )
    try:
        if bq_type in ("INT64", "INTEGER"):
            return series.astype("Int64")
        if bq_type in ("FLOAT64", "FLOAT"):
            return pd.to_numeric(series).astype("float64")
        if bq_type in ("BOOL", "BOOLEAN"):
            return series.astype("boolean")
        if bq_type == "STRING":
            return series.astype("string")
        if bq_type == "DATE":
            return pd.to_datetime(series).dt.date.astype("object").where(series.notna(), None)
        if bq_type == "TIMESTAMP":
            return pd.to_datetime(series, utc=True)
    except (TypeError, ValueError) as exc:
        raise WarehouseError(f"column {series.name!r} does not fit {bq_type}: {exc}") from exc
    return series
