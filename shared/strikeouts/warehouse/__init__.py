"""The warehouse port and the embedded DuckDB backend (BigQuery: strikeouts.cloud).

Table schemas come only from ``schemas/bigquery/*.json``; queries are written once in
BigQuery SQL and transpiled for DuckDB with sqlglot.
"""

from strikeouts.warehouse.base import Warehouse, WarehouseError
from strikeouts.warehouse.schemas import TableSchema, load_schema, table_names

__all__ = [
    "TableSchema",
    "Warehouse",
    "WarehouseError",
    "load_schema",
    "table_names",
]
