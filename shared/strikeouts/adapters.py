"""The one place that picks an adapter from configuration: warehouse, model store, and the
object stores beside it (the injured-list cache).

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

if TYPE_CHECKING:
    from strikeouts.cloud.gcs_models import StorageClient

    # only named: strikeouts.warehouse.base imports pandas, which a model store never needs
    from strikeouts.warehouse.base import Warehouse

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
    backend = open_objects(settings.model_store, "model_store", client=client)
    ttl = settings.alias_ttl_seconds if alias_ttl_seconds is None else alias_ttl_seconds
    return ObjectModelStore(backend, alias_ttl_seconds=ttl)


def open_objects(
    target: str, setting: str, *, client: StorageClient | None = None
) -> ObjectBackend:
    """Objects in a local directory, or under ``gs://BUCKET/PREFIX`` (``setting`` names the
    option in the error of a location without a bucket)."""
    if target.startswith(GCS_PREFIX):
        from strikeouts.cloud.gcs_models import GcsObjects

        bucket, _, prefix = target[len(GCS_PREFIX) :].partition("/")
        if not bucket:
            raise ModelStoreError(f"{setting} {target!r}: expected gs://BUCKET/PREFIX")
        return GcsObjects(bucket, prefix, client=client)
    from strikeouts.models.local_store import LocalObjects

    return LocalObjects(target)


INJURED_LIST_PREFIX = "injured-list"


def injured_list_cache_location(settings: Settings) -> str:
    """Where the injured-list cache lives: the setting, else ``injured-list`` in the
    aggregation state's bucket (cloud) or in the local state directory."""
    if settings.sources.injured_list_cache:
        return settings.sources.injured_list_cache
    state = settings.aggregation_state or ""
    if state.startswith(GCS_PREFIX):
        bucket = state[len(GCS_PREFIX) :].partition("/")[0]
        return f"{GCS_PREFIX}{bucket}/{INJURED_LIST_PREFIX}"
    return str(settings.state_dir / INJURED_LIST_PREFIX)


def open_injured_list_cache(
    settings: Settings, *, client: StorageClient | None = None
) -> ObjectBackend:
    """The injured-list cache's objects (see :func:`injured_list_cache_location`)."""
    return open_objects(injured_list_cache_location(settings), "injured_list_cache", client=client)
