"""The warehouse port and its backends: DuckDB (embedded default) and BigQuery.

Table schemas come only from ``schemas/bigquery/*.json``; queries are written once in
BigQuery SQL and transpiled for DuckDB with sqlglot.
"""

from strikeouts.warehouse.base import Warehouse, WarehouseError
from strikeouts.warehouse.factory import open_warehouse
from strikeouts.warehouse.schemas import TableSchema, load_schema, table_names

__all__ = [
    "TableSchema",
    "Warehouse",
    "WarehouseError",
    "load_schema",
    "open_warehouse",
    "table_names",
]
