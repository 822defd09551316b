"""The embedded warehouse: one DuckDB file, tables created from the BigQuery JSON schemas."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from strikeouts.warehouse.base import WarehouseError, conform, keyed_rows
from strikeouts.warehouse.schemas import load_schema, table_names
from strikeouts.warehouse.sql import bigquery_to_duckdb


class DuckDBWarehouse:
    """A :class:`~strikeouts.warehouse.base.Warehouse` on a DuckDB file (or ``:memory:``)."""

    name = "duckdb"
    manages_schema = True

    def __init__(self, path: str | Path = ":memory:") -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        try:
            self.con = duckdb.connect(self.path)
        except duckdb.Error as exc:
            raise WarehouseError(f"cannot open DuckDB warehouse {self.path}: {exc}") from exc
        self._ready: set[str] = set()

    def ensure_tables(self, names: Iterable[str] | None = None) -> None:
        for name in names if names is not None else table_names():
            if name in self._ready:
                continue
            schema = load_schema(name)
            self.con.execute(schema.duckdb_ddl())
            # a table made by an older schema gains the NULLABLE columns added since
            have = {r[0] for r in self.con.execute(f'DESCRIBE "{name}"').fetchall()}
            for statement in schema.duckdb_added_columns(have):
                self.con.execute(statement)
            self._ready.add(name)

    def replace_table(self, table: str, frame: pd.DataFrame) -> int:
        rows = conform(table, frame)
        self.ensure_tables([table])
        self.con.execute("BEGIN TRANSACTION")
        try:
            self.con.execute(f'DELETE FROM "{table}"')
            self._insert(table, rows)
            self.con.execute("COMMIT")
        except Exception:
            self.con.execute("ROLLBACK")
            raise
        return len(rows)

    def merge(self, table: str, frame: pd.DataFrame) -> int:
        return self._keyed_write(table, frame, replace=False)

    def upsert(self, table: str, frame: pd.DataFrame) -> int:
        return self._keyed_write(table, frame, replace=True)

    def _keyed_write(self, table: str, frame: pd.DataFrame, *, replace: bool) -> int:
        """Insert the new keys of ``frame``; with ``replace``, replace existing keys' rows too.

        Delete-then-insert in one transaction: a reader sees the old row or the new one.
        """
        schema, rows = keyed_rows(table, frame)
        self.ensure_tables([table])
        on = " AND ".join(f't."{k}" IS NOT DISTINCT FROM s."{k}"' for k in schema.key)
        cols = ", ".join(f'"{c}"' for c in schema.column_names)
        self.con.execute("BEGIN TRANSACTION")
        try:
            self.con.register("_incoming", rows)
            before = self._count(table)
            if replace:
                self.con.execute(
                    f'DELETE FROM "{table}" t WHERE EXISTS (SELECT 1 FROM _incoming s WHERE {on})'
                )
            new_only = "" if replace else f'WHERE NOT EXISTS (SELECT 1 FROM "{table}" t WHERE {on})'
            self.con.execute(
                f'INSERT INTO "{table}" ({cols}) SELECT {cols} FROM _incoming s {new_only}'
            )
            written = len(rows) if replace else self._count(table) - before
            self.con.execute("COMMIT")
        except Exception:
            self.con.execute("ROLLBACK")
            raise
        finally:
            self.con.unregister("_incoming")
        return written

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> pd.DataFrame:
        try:
            result = self.con.execute(bigquery_to_duckdb(sql), dict(params or {}))
            hugeints = [d[0] for d in result.description or () if str(d[1]) == "HUGEINT"]
            frame = result.df()
        except duckdb.CatalogException as exc:
            first = str(exc).splitlines()[0]
            raise WarehouseError(
                f"{self.path} lacks a table this query reads: run `strikeouts ingest` first "
                f"({first})"
            ) from exc
        except duckdb.Error as exc:
            raise WarehouseError(f"query failed on {self.path}: {exc}\n{sql}") from exc
        return _as_int64(frame, hugeints)

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> None:
        try:
            self.con.execute(bigquery_to_duckdb(sql), dict(params or {}))
        except duckdb.Error as exc:
            raise WarehouseError(f"statement failed on {self.path}: {exc}\n{sql}") from exc

    def row_count(self, table: str) -> int:
        exists = self.con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [table]
        ).fetchone()
        return self._count(table) if exists and exists[0] else 0

    def close(self) -> None:
        self.con.close()

    def _count(self, table: str) -> int:
        row = self.con.execute(f'SELECT count(*) FROM "{table}"').fetchone()
        return int(row[0]) if row else 0

    def _insert(self, table: str, rows: pd.DataFrame) -> None:
        cols = ", ".join(f'"{c}"' for c in rows.columns)
        self.con.register("_rows", rows)
        try:
            self.con.execute(f'INSERT INTO "{table}" ({cols}) SELECT {cols} FROM _rows')
        finally:
            self.con.unregister("_rows")


def _as_int64(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Integer ``columns`` as BigQuery returns them (INT64), not as DuckDB's float HUGEINT.

    DuckDB's SUM/COUNT_IF of integers are HUGEINT, which pandas receives as float64;
    BigQuery's are INT64. Nullable Int64 only when a NULL is present, as for BIGINT.
    """
    for column in columns:
        values = frame[column].astype("Int64")
        frame[column] = values if bool(values.isna().any()) else values.astype("int64")
    return frame


class ReadOnlyDuckDBWarehouse(DuckDBWarehouse):
    """A DuckDB warehouse file opened read-only (shareable by several processes)."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        try:
            self.con = duckdb.connect(self.path, read_only=True)
        except duckdb.Error as exc:
            raise WarehouseError(
                f"cannot open DuckDB warehouse {self.path} read-only: {exc}"
            ) from exc
