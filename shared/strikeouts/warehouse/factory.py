"""Pick the warehouse backend from the ``warehouse`` setting."""

from __future__ import annotations

from strikeouts.settings import Settings, get_settings
from strikeouts.warehouse.base import Warehouse

BIGQUERY_PREFIX = "bigquery://"


def open_warehouse(settings: Settings | None = None) -> Warehouse:
    """DuckDB for a file path, BigQuery for ``bigquery://PROJECT/DATASET``."""
    settings = settings or get_settings()
    target = settings.warehouse
    if target.startswith(BIGQUERY_PREFIX):
        from strikeouts.warehouse.bigquery_backend import BigQueryWarehouse

        project, _, dataset = target[len(BIGQUERY_PREFIX) :].partition("/")
        return BigQueryWarehouse(
            project=project,
            dataset=dataset,
            endpoint=settings.bigquery_endpoint,
            manage_schema=settings.bigquery_manage_schema,
            scratch_dataset=settings.bigquery_scratch_dataset,
        )
    from strikeouts.warehouse.duckdb_backend import DuckDBWarehouse

    return DuckDBWarehouse(target)
