"""Idempotent prediction writes on BigQuery: stage cheaply, MERGE on the row key periodically.

Invariants:

- a row is durable once :meth:`StagedPredictionSink.write` returns: it is validated against
  the final table's schema, then appended to ``<table>_staging`` by one streaming insert
  (no MERGE, no job per delivery); a failed insert raises TransientError and the delivery is
  redelivered (the ensemble's aggregation state in GCS stays "not written" until the row is
  staged, so the outcome itself is decided exactly once); ``cloud.deferred`` batches these
  inserts for the ensemble function, keeping the same "written only once staged" rule;
- :meth:`StagingMerger.merge` copies into the final table every staged row whose key
  (run_id, game_id, pitcher_id, system_id) is not there yet, the first staged copy of each
  key: exactly one row per key, however often a row was staged (duplicate deliveries,
  replays) and however often merged; rows a replay re-offered (``restore``, staged by
  :meth:`StagedPredictionSink.restore`) are merged after the others, so what that second
  MERGE inserts is exactly what the final table had lost (``MergeResult.restored``, logged);
- the clear after a MERGE deletes only rows staged at least ``grace`` before the MERGE
  started; a row staged during the MERGE is newer than that, so it stays and the next MERGE
  takes it (rows merged twice are no-ops). ``grace`` bounds insert time plus clock skew;
- merges do not overlap: each holds a lease object in Cloud Storage (a second merger waits
  or skips), since two concurrent insert-only MERGEs could both insert the same key;
- nothing staged costs nothing: a merge first reads what is staged through the free
  ``tabledata.list`` (``cloud.staged``) and runs no job when no row is newer than what it
  already merged, no restore MERGE when no row is a restore, and no clear when no merged row
  is left (or when BigQuery would refuse it: rows still in the streaming buffer).

The staging schema is the final table's (``schemas/bigquery/<table>.json``) plus the columns
of ``schemas/bigquery/staging/columns.json``: nothing is copied.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
import uuid
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, cast

from strikeouts.cloud.staged import in_streaming_buffer, read_staged
from strikeouts.logs import get_logger
from strikeouts.names import PREDICTIONS
from strikeouts.pipeline.errors import TransientError
from strikeouts.runtime.sinks import ensure_prediction_tables
from strikeouts.settings import SCHEMAS_DIR, Settings
from strikeouts.warehouse.base import WarehouseError, conform_records
from strikeouts.warehouse.schemas import TableSchema, load_schema

if TYPE_CHECKING:
    from google.cloud import bigquery

    from strikeouts.cloud.bigquery_warehouse import BigQueryWarehouse
    from strikeouts.cloud.lease import Lease
    from strikeouts.warehouse.base import Warehouse

STAGING_COLUMNS = SCHEMAS_DIR / "bigquery" / "staging" / "columns.json"
STAGING_SUFFIX = "_staging"
INSERT_DEADLINE_SECONDS = 20.0
CLOCK_SKEW_SECONDS = 40.0
# ≥ insert deadline + clock skew: a row older than this at MERGE start was visible to it
DEFAULT_GRACE = dt.timedelta(seconds=INSERT_DEADLINE_SECONDS + CLOCK_SKEW_SECONDS)
# real BigQuery refuses DML on rows still in the streaming buffer: such a clear is retried
# by a later merge (the rows re-merge as no-ops meanwhile; the partitions also expire)
STREAMING_BUFFER = "streaming buffer"

log = get_logger(__name__)


def staging_table(table: str) -> str:
    """The staging table of ``table``."""
    return f"{table}{STAGING_SUFFIX}"


@cache
def staging_fields(table: str) -> tuple[dict[str, Any], ...]:
    """The raw BigQuery schema of ``table``'s staging table: its columns + the staging ones."""
    extra: list[dict[str, Any]] = json.loads(STAGING_COLUMNS.read_text())
    return (*load_schema(table).bigquery_fields(), *extra)


def json_rows(schema: TableSchema, rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """``rows`` validated against ``schema`` (WarehouseError naming the column) as JSON rows."""
    # row by row: a DataFrame per delivery's few rows was a quarter of the ensemble's CPU
    return conform_records(schema, rows)


# staging tables each warehouse already ensured: a function builds a sink and a merger on one
# warehouse at cold start, and each check is several API calls (the view a DDL query job)
_ENSURED: weakref.WeakKeyDictionary[BigQueryWarehouse, set[str]] = weakref.WeakKeyDictionary()
_ENSURED_LOCK = threading.Lock()


def ensure_staging(warehouse: BigQueryWarehouse, table: str = PREDICTIONS) -> str:
    """Create ``table`` (and its view) and its staging table if missing; the staging table id.

    Checked once per warehouse object and table (tables are not dropped under a function)."""
    staging_id = warehouse.table_id(staging_table(table))
    with _ENSURED_LOCK:
        done = _ENSURED.setdefault(warehouse, set())
        if staging_id not in done:
            if warehouse.manages_schema:  # else Terraform made it (infra/bigquery.tf)
                _create_staging(warehouse, table, staging_id)
            done.add(staging_id)
    return staging_id


def _create_staging(warehouse: BigQueryWarehouse, table: str, staging_id: str) -> None:
    from google.cloud import bigquery

    ensure_prediction_tables(warehouse)
    fields = [bigquery.SchemaField.from_api_repr(f) for f in staging_fields(table)]
    spec = bigquery.Table(staging_id, schema=fields)
    spec.time_partitioning = bigquery.TimePartitioning(field="staged_at")
    try:
        made = warehouse.client.create_table(spec, exists_ok=True, timeout=warehouse.timeout)
    except Exception as exc:
        raise WarehouseError(f"BigQuery create table {staging_id} failed: {exc}") from exc
    warehouse.add_missing_fields(made, fields)  # a staging table from before `restore`


class StagedPredictionSink:
    """:class:`~strikeouts.pipeline.ports.PredictionSink` that appends to the staging table."""

    def __init__(
        self,
        warehouse: BigQueryWarehouse,
        table: str = PREDICTIONS,
        clock: Callable[[], dt.datetime] | None = None,
        deadline: float = INSERT_DEADLINE_SECONDS,
    ) -> None:
        self.warehouse = warehouse
        self.schema = load_schema(table)
        self.staging_id = ensure_staging(warehouse, table)
        self.clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self.deadline = deadline
        self.staged = 0

    def validate(self, rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """``rows`` as the JSON rows :meth:`insert` takes (WarehouseError naming the column)."""
        return json_rows(self.schema, rows)

    def write(self, rows: Sequence[Mapping[str, Any]]) -> int:
        """Stage ``rows`` (validated first); returns how many were staged, not how many are new."""
        if not rows:
            return 0
        return self.insert(self.validate(rows))

    def restore(self, rows: Sequence[Mapping[str, Any]]) -> int:
        """Stage rows a replay re-offers, marked ``restore``, at once (no state would re-send
        them if a queue holding them died); returns how many were staged."""
        if not rows:
            return 0
        payload = self.validate(rows)
        for row in payload:
            row["restore"] = True
        return self.insert(payload)

    def insert(self, payload: list[dict[str, Any]]) -> int:
        """Append validated rows in ONE streaming insert, stamped with the insert's time.

        The stamp is taken here, at every attempt, so ``staged_at`` is never older than the
        insert that made the row visible (the merge's ``grace`` relies on it). Raises
        :class:`StagingRefused` (a TransientError) when BigQuery answers with row errors,
        TransientError when the insert fails.
        """
        from google.api_core.retry import Retry
        from google.cloud.bigquery import AutoRowIDs

        if not payload:
            return 0
        staged_at, batch = self.clock().isoformat(), uuid.uuid4().hex
        for row in payload:
            row["staged_at"], row["batch_id"] = staged_at, batch
        # a short, explicit retry: the client's default retries a bad request for 600 s
        retry = Retry(initial=0.1, maximum=1.0, multiplier=2.0, timeout=self.deadline)
        try:
            errors = self.warehouse.client.insert_rows_json(
                self.staging_id,
                payload,
                row_ids=AutoRowIDs.DISABLED,  # idempotency comes from the MERGE, not insertId
                retry=retry,
                timeout=self.deadline,
            )
        except Exception as exc:
            raise TransientError(
                f"staging {len(payload)} rows in {self.staging_id}: {exc}"
            ) from exc
        if errors:
            raise StagingRefused(self.staging_id, errors)
        self.staged += len(payload)
        return len(payload)


class StagingRefused(TransientError):
    """BigQuery answered an insert with row errors; ``invalid`` holds the rows it blamed.

    BigQuery refuses a whole request when one row is invalid: the blamed rows carry their own
    reason, the others ``stopped``. Without per-row detail ``invalid`` is empty.
    """

    def __init__(self, staging_id: str, errors: Sequence[Mapping[str, Any]]) -> None:
        super().__init__(f"staging rows in {staging_id} refused: {str(list(errors))[:500]}")
        self.errors = list(errors)
        self.invalid = frozenset(
            int(e["index"])
            for e in self.errors
            if "index" in e and any(d.get("reason") != "stopped" for d in e.get("errors") or [{}])
        )


@dataclass(frozen=True)
class MergeResult:
    """What one merge did."""

    inserted: int
    """Rows new to the final table (``restored`` included)."""
    cleared: int
    seconds: float
    skipped: bool = False
    restored: int = 0
    """Rows a replay re-offered that the final table had lost."""
    idle: bool = False
    """Nothing was staged that needed a job: the merge ran none."""


class StagingMerger:
    """Moves staged rows into the final table exactly once per key, then clears old ones."""

    def __init__(
        self,
        warehouse: BigQueryWarehouse,
        table: str = PREDICTIONS,
        lease: Lease | None = None,
        grace: dt.timedelta = DEFAULT_GRACE,
        clock: Callable[[], dt.datetime] | None = None,
    ) -> None:
        self.warehouse = warehouse
        self.schema = load_schema(table)
        self.table_id = warehouse.table_id(table)
        self.staging_id = ensure_staging(warehouse, table)
        self.lease = lease
        self.grace = grace
        self.clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self.merged_through: dt.datetime | None = None
        """Rows staged at or before this are in the final table (None: nothing known yet)."""

    def merge_sql(self, *, restores: bool = False) -> str:
        """The MERGE: the first staged copy of every key not yet in the final table, of the
        rows first written (or, with ``restores``, of the rows replays re-offered)."""
        key = ", ".join(f"`{k}`" for k in self.schema.key)
        on = " AND ".join(f"t.`{k}` = s.`{k}`" for k in self.schema.key)
        cols = ", ".join(f"`{c}`" for c in self.schema.column_names)
        values = ", ".join(f"s.`{c}`" for c in self.schema.column_names)
        which = "COALESCE(`restore`, FALSE)" + ("" if restores else " = FALSE")
        return (
            f"MERGE `{self.table_id}` t USING ("
            f"SELECT {cols} FROM `{self.staging_id}` WHERE {which} QUALIFY ROW_NUMBER() OVER "
            f"(PARTITION BY {key} ORDER BY staged_at, batch_id) = 1"
            f") s ON {on} WHEN NOT MATCHED THEN INSERT ({cols}) VALUES ({values})"
        )

    def merge(self, wait: float = 30.0) -> MergeResult:
        """Merge under the lease (waiting up to ``wait`` s for it); ``skipped`` if not had.

        Only what the free read of the staging table calls for runs: an idle merge is no job.
        """
        started = time.perf_counter()
        staged = read_staged(self.warehouse, self.staging_id)
        unmerged = staged.unmerged(self.merged_through)
        if not unmerged and not staged.clearable(self.merged_through):
            return MergeResult(0, 0, time.perf_counter() - started, idle=True)
        if self.lease is not None and not self.lease.acquire(wait):
            log.info("merge skipped: another merger holds the lease", table=self.table_id)
            return MergeResult(0, 0, time.perf_counter() - started, skipped=True)
        try:
            merge_start = self.clock()
            inserted = restored = cleared = 0
            if unmerged:
                inserted = self._dml(self.merge_sql(), {})
                if any(r.restore for r in unmerged):
                    restored = self._dml(self.merge_sql(restores=True), {})
                # every row staged before this is in the final table now
                self.merged_through = merge_start - self.grace
            if staged.clearable(self.merged_through):
                cleared = self.clear(self.merged_through)
        finally:
            if self.lease is not None:
                self.lease.release()
        result = MergeResult(
            inserted + restored, cleared, time.perf_counter() - started, restored=restored
        )
        log.info(
            "staged rows merged",
            table=self.table_id,
            inserted=result.inserted,
            restored=restored,
            cleared=cleared,
            ms=round(1000 * result.seconds, 1),
        )
        if restored:
            log.warning(
                "replay restored rows the final table had lost (the aggregation state had "
                "them as written)",
                table=self.table_id,
                restored=restored,
            )
        return result

    def clear(self, before: dt.datetime | None) -> int:
        """Delete staged rows staged at or before ``before`` (already merged); 0 if refused,
        and no job at all while some of them are still in the streaming buffer."""
        if before is None or in_streaming_buffer(self.warehouse, self.staging_id, before):
            return 0
        sql = f"DELETE FROM `{self.staging_id}` WHERE staged_at <= @before"
        try:
            return self._dml(sql, {"before": before})
        except WarehouseError as exc:
            if STREAMING_BUFFER not in str(exc).lower():
                raise
            log.info("staging clear deferred (streaming buffer)", table=self.staging_id)
            return 0

    def pending(self) -> int:
        """Rows in the staging table (merged or not)."""
        frame = self.warehouse.query(f"SELECT COUNT(*) AS n FROM `{self.staging_id}`")
        return int(frame["n"].iloc[0])

    def _dml(self, sql: str, params: Mapping[str, Any]) -> int:
        from google.cloud import bigquery

        from strikeouts.cloud.bigquery_values import query_parameter

        config = bigquery.QueryJobConfig(
            default_dataset=self.warehouse.dataset_id,
            query_parameters=[query_parameter(k, v) for k, v in params.items()],
        )
        try:
            job: bigquery.QueryJob = self.warehouse.client.query(
                sql, job_config=config, job_retry=None, timeout=self.warehouse.timeout
            )
            job.result(timeout=self.warehouse.timeout)
        except Exception as exc:
            raise WarehouseError(f"BigQuery DML failed: {exc}\n{sql}") from exc
        return int(job.num_dml_affected_rows or 0)


def merge_lease(settings: Settings, table: str = PREDICTIONS) -> Lease | None:
    """The lease merges of ``table`` take, next to the aggregation state (None without GCS)."""
    if not settings.aggregation_state:
        return None
    from strikeouts.cloud.clients import parse_gcs_uri, storage_client
    from strikeouts.cloud.lease import GcsLease

    bucket, prefix = parse_gcs_uri(settings.aggregation_state, "aggregation_state")
    name = f"{prefix}/locks/{table}-merge".strip("/")
    return GcsLease(storage_client(settings), bucket, name)


def open_merger(
    settings: Settings, warehouse: Warehouse | None = None, table: str = PREDICTIONS
) -> StagingMerger | None:
    """The merger of ``table`` in the settings' warehouse, or None when it is not BigQuery
    (no staging)."""
    from strikeouts.adapters import open_warehouse

    target = warehouse or open_warehouse(settings)
    if not is_bigquery(target):
        return None
    bigquery = cast("BigQueryWarehouse", target)
    return StagingMerger(bigquery, table, lease=merge_lease(settings, table))


def is_bigquery(warehouse: Warehouse) -> bool:
    """Whether ``warehouse`` is the BigQuery backend (the one with staging tables)."""
    return getattr(warehouse, "name", None) == "bigquery"
