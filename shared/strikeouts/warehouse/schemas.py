"""Table schemas, read from the BigQuery JSON files that are their single source of truth."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from strikeouts.settings import SCHEMAS_DIR

BIGQUERY_SCHEMAS = SCHEMAS_DIR / "bigquery"

_DUCKDB_TYPES = {
    "STRING": "VARCHAR",
    "INT64": "BIGINT",
    "INTEGER": "BIGINT",
    "FLOAT64": "DOUBLE",
    "FLOAT": "DOUBLE",
    "NUMERIC": "DECIMAL(38, 9)",
    "BOOL": "BOOLEAN",
    "BOOLEAN": "BOOLEAN",
    "DATE": "DATE",
    "TIMESTAMP": "TIMESTAMPTZ",
    "DATETIME": "TIMESTAMP",
    "JSON": "JSON",
}


@dataclass(frozen=True)
class Column:
    """One field of a table schema."""

    name: str
    type: str
    mode: str = "NULLABLE"
    description: str = ""
    fields: tuple[Column, ...] = ()

    @property
    def required(self) -> bool:
        return self.mode == "REQUIRED"

    @property
    def repeated(self) -> bool:
        return self.mode == "REPEATED"

    def duckdb_type(self) -> str:
        if self.type in ("RECORD", "STRUCT"):
            inner = ", ".join(f'"{f.name}" {f.duckdb_type()}' for f in self.fields)
            base = f"STRUCT({inner})"
        else:
            base = _DUCKDB_TYPES[self.type]
        return f"{base}[]" if self.repeated else base

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Column:
        return cls(
            name=raw["name"],
            type=raw["type"].upper(),
            mode=raw.get("mode", "NULLABLE").upper(),
            description=raw.get("description", ""),
            fields=tuple(cls.from_json(f) for f in raw.get("fields", ())),
        )


@dataclass(frozen=True)
class TableSchema:
    """A table: its columns, its row key, and optional partitioning/clustering."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    partition: str | None = None
    cluster: tuple[str, ...] = field(default=())

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"table {self.name!r} has no column {name!r}")

    def duckdb_ddl(self, table: str | None = None) -> str:
        cols = ",\n  ".join(
            f'"{c.name}" {c.duckdb_type()}{" NOT NULL" if c.required else ""}' for c in self.columns
        )
        return f'CREATE TABLE IF NOT EXISTS "{table or self.name}" (\n  {cols}\n)'

    def duckdb_added_columns(self, existing: set[str]) -> list[str]:
        """``ALTER TABLE`` statements adding the schema's columns missing from ``existing``
        (schemas only ever gain NULLABLE columns; a missing REQUIRED one is an error)."""
        missing = [c for c in self.columns if c.name not in existing]
        required = [c.name for c in missing if c.required]
        if required:
            raise ValueError(
                f"table {self.name} lacks REQUIRED columns {required}: rebuild it (ingest)"
            )
        return [
            f'ALTER TABLE "{self.name}" ADD COLUMN "{c.name}" {c.duckdb_type()}' for c in missing
        ]

    def bigquery_fields(self) -> list[dict[str, Any]]:
        """The raw BigQuery JSON schema (as in the file)."""
        return _raw_fields(self.name)


@cache
def _meta() -> dict[str, dict[str, Any]]:
    path = BIGQUERY_SCHEMAS / "tables.json"
    data: dict[str, dict[str, Any]] = json.loads(path.read_text())
    return data


@cache
def _raw_fields(name: str) -> list[dict[str, Any]]:
    path = BIGQUERY_SCHEMAS / f"{name}.json"
    if not path.exists():
        raise KeyError(f"no schema for table {name!r}: expected {path}")
    fields: list[dict[str, Any]] = json.loads(path.read_text())
    return fields


def table_names() -> list[str]:
    """Every table that has a schema file, in a stable order."""
    return sorted(p.stem for p in BIGQUERY_SCHEMAS.glob("*.json") if p.stem != "tables")


# in tables.json but not a warehouse table in a deployment: the aggregation state lives in
# Cloud Storage there (infra/locals.tf table_names leaves it out the same way)
NOT_IN_WAREHOUSE = frozenset({"aggregation_state"})


def deployed_table_names() -> list[str]:
    """The tables a deployment's dataset holds (what infra/bigquery.tf creates)."""
    return [t for t in table_names() if t not in NOT_IN_WAREHOUSE]


@cache
def load_schema(name: str) -> TableSchema:
    """The schema of table ``name`` from ``schemas/bigquery/NAME.json`` and ``tables.json``."""
    meta = _meta().get(name, {})
    return TableSchema(
        name=name,
        columns=tuple(Column.from_json(f) for f in _raw_fields(name)),
        key=tuple(meta.get("key", ())),
        partition=meta.get("partition"),
        cluster=tuple(meta.get("cluster", ())),
    )
