"""The cloud warehouse: one BigQuery dataset, tables created from the same JSON schemas.

Rows are conformed to the schema before anything is sent, then loaded as Parquet files
(load jobs, not streaming inserts: no insertId, no long client retries on a bad value);
``merge`` is idempotent through a MERGE on the table key from ``tables.json``. Results
come back through DuckDB's Arrow-to-pandas conversion, so a query returns the same
column names and dtypes here as on the DuckDB backend. Values and frames are put in
BigQuery's terms by :mod:`strikeouts.cloud.bigquery_values`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

import duckdb
import pandas as pd
from google.api_core import exceptions as google_errors
from google.api_core.client_options import ClientOptions
from google.api_core.retry import Retry
from google.auth.credentials import AnonymousCredentials
from google.cloud import bigquery

from strikeouts.cloud.bigquery_values import (
    parameter_type,
    parquet_bytes,
    query_parameter,
    schema_fields,
)
from strikeouts.warehouse.base import WarehouseError, conform, keyed_rows
from strikeouts.warehouse.schemas import TableSchema, load_schema, table_names

__all__ = ["BigQueryWarehouse", "parameter_type", "query_parameter", "schema_fields"]

STAGING_TTL = dt.timedelta(hours=1)

T = TypeVar("T")


class BigQueryWarehouse:
    """A :class:`~strikeouts.warehouse.base.Warehouse` on one BigQuery dataset (or an emulator)."""

    name = "bigquery"

    def __init__(
        self,
        project: str,
        dataset: str,
        endpoint: str | None = None,
        location: str | None = None,
        timeout: float = 300.0,
        *,
        manage_schema: bool = True,
        scratch_dataset: str | None = None,
    ) -> None:
        if not project or not dataset:
            raise WarehouseError(
                f"BigQuery warehouse needs bigquery://PROJECT/DATASET, got project={project!r} "
                f"dataset={dataset!r}"
            )
        self.project = project
        self.dataset = dataset
        self.manages_schema = manage_schema
        self.scratch_dataset = scratch_dataset or dataset
        self.location = location
        self.timeout = timeout
        # every API call gives up after ``timeout``: the client's default is 600 s of retries
        self._retry = Retry(deadline=timeout)
        if endpoint is not None:
            # an emulator needs a scheme and some credentials, anonymous ones will do
            if not endpoint.startswith(("http://", "https://")):
                endpoint = f"http://{endpoint}"
            self.client = bigquery.Client(
                project=project,
                location=location,
                credentials=AnonymousCredentials(),
                client_options=ClientOptions(api_endpoint=endpoint),
            )
        else:
            self.client = bigquery.Client(project=project, location=location)
        from strikeouts.cloud.clients import skip_environment_per_request

        skip_environment_per_request(self.client._http)
        self._frames = duckdb.connect(":memory:")
        self._dataset_ready = False
        self._tables_ready: set[str] = set()

    @property
    def dataset_id(self) -> str:
        return f"{self.project}.{self.dataset}"

    def table_id(self, table: str) -> str:
        """The fully qualified id of ``table`` in this dataset."""
        return f"{self.dataset_id}.{table}"

    def ensure_tables(self, names: Iterable[str] | None = None) -> None:
        if not self.manages_schema:
            return
        self._ensure_dataset()
        for name in names if names is not None else table_names():
            self._create_table(load_schema(name))
            self._tables_ready.add(name)

    def replace_table(self, table: str, frame: pd.DataFrame) -> int:
        schema = load_schema(table)
        rows = conform(schema, frame)
        self._ensure_table(table)
        if rows.empty:
            # a load job refuses an empty file
            self.execute(f"TRUNCATE TABLE `{self.table_id(table)}`")
            return 0
        self._load(self.table_id(table), schema, rows, bigquery.WriteDisposition.WRITE_TRUNCATE)
        return len(rows)

    def merge(self, table: str, frame: pd.DataFrame) -> int:
        return self._merge(table, frame, replace=False)

    def upsert(self, table: str, frame: pd.DataFrame) -> int:
        return self._merge(table, frame, replace=True)

    def _merge(self, table: str, frame: pd.DataFrame, *, replace: bool) -> int:
        schema, rows = keyed_rows(table, frame)
        self._ensure_table(table)
        if rows.empty:
            return 0
        staging = self._create_staging(schema)
        try:
            self._load(staging, schema, rows, bigquery.WriteDisposition.WRITE_TRUNCATE)
            return self._merge_from(table, staging, schema, replace=replace)
        finally:
            self.client.delete_table(
                staging, not_found_ok=True, retry=self._retry, timeout=self.timeout
            )

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> pd.DataFrame:
        job = self._run(sql, params)
        arrow = self._call(
            "query",
            lambda: job.result(timeout=self.timeout).to_arrow(create_bqstorage_client=False),
            sql,
        )
        return self._frames.from_arrow(arrow).df()

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> None:
        job = self._run(sql, params)
        self._call("statement", lambda: job.result(timeout=self.timeout), sql)

    def row_count(self, table: str) -> int:
        try:
            self.client.get_table(self.table_id(table), retry=self._retry, timeout=self.timeout)
        except google_errors.NotFound:
            return 0
        # table metadata (num_rows) lags behind DML on the emulator: count instead
        frame = self.query(f"SELECT COUNT(*) AS n FROM `{self.table_id(table)}`")
        return int(frame["n"].iloc[0])

    def close(self) -> None:
        self.client.close()
        self._frames.close()

    def _ensure_dataset(self) -> None:
        if self._dataset_ready or not self.manages_schema:
            return
        dataset = bigquery.Dataset(self.dataset_id)
        if self.location:
            dataset.location = self.location
        self._call(
            f"create dataset {self.dataset_id}",
            lambda: self.client.create_dataset(
                dataset, exists_ok=True, retry=self._retry, timeout=self.timeout
            ),
        )
        self._dataset_ready = True

    def _ensure_table(self, table: str) -> None:
        """Create ``table`` unless this instance already did (saves a round trip per write)."""
        if table not in self._tables_ready:
            self.ensure_tables([table])

    def _create_table(self, schema: TableSchema) -> None:
        table = bigquery.Table(self.table_id(schema.name), schema=schema_fields(schema))
        if schema.partition:
            table.time_partitioning = bigquery.TimePartitioning(field=schema.partition)
        if schema.cluster:
            table.clustering_fields = list(schema.cluster)
        made = self._call(
            f"create table {schema.name}",
            lambda: self.client.create_table(
                table, exists_ok=True, retry=self._retry, timeout=self.timeout
            ),
        )
        self.add_missing_fields(made, schema_fields(schema))

    def add_missing_fields(
        self, table: bigquery.Table, fields: Sequence[bigquery.SchemaField]
    ) -> None:
        """``table``, made by an older schema, gains the NULLABLE ``fields`` it lacks."""
        have = {f.name for f in table.schema}
        missing = [f for f in fields if f.name not in have]
        if not missing:
            return
        table.schema = [*table.schema, *missing]
        self._call(
            f"add fields to {table.table_id}",
            lambda: self.client.update_table(table, ["schema"], timeout=self.timeout),
        )

    def _create_staging(self, schema: TableSchema) -> str:
        """A fresh, expiring table with ``schema``'s columns, to MERGE from."""
        name = f"_staging_{schema.name}_{uuid.uuid4().hex[:12]}"
        staging_id = f"{self.project}.{self.scratch_dataset}.{name}"
        table = bigquery.Table(staging_id, schema=schema_fields(schema))
        # a crash between load and drop leaves nothing behind for long
        table.expires = dt.datetime.now(dt.UTC) + STAGING_TTL
        self._call(
            f"create staging table for {schema.name}",
            lambda: self.client.create_table(table, retry=self._retry, timeout=self.timeout),
        )
        return staging_id

    def _merge_from(
        self, table: str, staging: str, schema: TableSchema, *, replace: bool = False
    ) -> int:
        # key columns are REQUIRED (conform refuses NULLs), so plain equality is exact
        on = " AND ".join(f"t.`{k}` = s.`{k}`" for k in schema.key)
        cols = ", ".join(f"`{c}`" for c in schema.column_names)
        values = ", ".join(f"s.`{c}`" for c in schema.column_names)
        updates = ", ".join(f"`{c}` = s.`{c}`" for c in schema.column_names if c not in schema.key)
        matched = f"WHEN MATCHED THEN UPDATE SET {updates} " if replace else ""
        sql = (
            f"MERGE `{self.table_id(table)}` t USING `{staging}` s ON {on} "
            f"{matched}WHEN NOT MATCHED THEN INSERT ({cols}) VALUES ({values})"
        )
        job = self._run(sql, None)
        self._call("merge", lambda: job.result(timeout=self.timeout), sql)
        return int(job.num_dml_affected_rows or 0)

    def _load(
        self, table_id: str, schema: TableSchema, rows: pd.DataFrame, disposition: str
    ) -> None:
        config = bigquery.LoadJobConfig(
            source_format=bigquery.SourceFormat.PARQUET,
            write_disposition=disposition,
            schema=schema_fields(schema),
        )
        options = bigquery.ParquetOptions()
        options.enable_list_inference = True  # Parquet lists load as REPEATED, not as records
        config.parquet_options = options
        job = self._call(
            f"load {table_id}",
            lambda: self.client.load_table_from_file(
                parquet_bytes(rows), table_id, job_config=config, timeout=self.timeout
            ),
        )
        self._call(f"load {table_id}", lambda: job.result(timeout=self.timeout))

    def _run(self, sql: str, params: Mapping[str, Any] | None) -> bigquery.QueryJob:
        self._ensure_dataset()
        config = bigquery.QueryJobConfig(
            default_dataset=self.dataset_id,
            query_parameters=[query_parameter(k, v) for k, v in (params or {}).items()],
        )
        return self._call(
            "query",
            lambda: self.client.query(
                sql,
                job_config=config,
                retry=self._retry,
                job_retry=None,
                timeout=self.timeout,
            ),
            sql,
        )

    def _call(self, what: str, action: Callable[[], T], sql: str | None = None) -> T:
        """Run ``action``; a Google API error becomes a WarehouseError naming what failed."""
        try:
            return action()
        except (google_errors.GoogleAPIError, TimeoutError) as exc:
            detail = f"\n{sql}" if sql else ""
            raise WarehouseError(
                f"BigQuery {what} failed on {self.dataset_id}: {exc}{detail}"
            ) from exc
