"""The one place that picks an adapter from configuration: warehouse and model store.

Invariant: domain packages never choose between local and cloud. A path opens the embedded
adapter (DuckDB file, local directory); ``bigquery://PROJECT/DATASET`` and ``gs://BUCKET/PREFIX``
open the Google Cloud adapters, whose clients are imported only when such a target is named.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from strikeouts.models.object_store import ObjectModelStore
from strikeouts.models.ports import ObjectBackend
from strikeouts.models.refs import GCS_PREFIX, ModelStoreError
from strikeouts.settings import Settings, get_settings
from strikeouts.warehouse.base import Warehouse

if TYPE_CHECKING:
    from strikeouts.cloud.gcs_models import StorageClient

BIGQUERY_PREFIX = "bigquery://"


def open_warehouse(settings: Settings | None = None) -> Warehouse:
    """DuckDB for a file path, BigQuery for ``bigquery://PROJECT/DATASET``."""
    settings = settings or get_settings()
    target = settings.warehouse
    if target.startswith(BIGQUERY_PREFIX):
        from strikeouts.cloud.bigquery_warehouse import BigQueryWarehouse

        project, _, dataset = target[len(BIGQUERY_PREFIX) :].partition("/")
        return BigQueryWarehouse(
            project=project,
            dataset=dataset,
            endpoint=settings.stack.bigquery_endpoint,
            manage_schema=settings.stack.bigquery_manage_schema,
            scratch_dataset=settings.stack.bigquery_scratch_dataset,
        )
    from strikeouts.warehouse.duckdb_backend import DuckDBWarehouse

    return DuckDBWarehouse(target)


def open_model_store(
    settings: Settings | None = None,
    *,
    client: StorageClient | None = None,
    alias_ttl_seconds: float | None = None,
) -> ObjectModelStore:
    """A local-directory store for a path, a Cloud Storage one for ``gs://BUCKET/PREFIX``."""
    settings = settings or get_settings()
    target = settings.model_store
    if target.startswith(GCS_PREFIX):
        from strikeouts.cloud.gcs_models import GcsObjects

        bucket, _, prefix = target[len(GCS_PREFIX) :].partition("/")
        if not bucket:
            raise ModelStoreError(f"model_store {target!r}: expected gs://BUCKET/PREFIX")
        backend: ObjectBackend = GcsObjects(bucket, prefix, client=client)
    else:
        from strikeouts.models.local_store import LocalObjects

        backend = LocalObjects(target)
    ttl = settings.alias_ttl_seconds if alias_ttl_seconds is None else alias_ttl_seconds
    return ObjectModelStore(backend, alias_ttl_seconds=ttl)
