"""What a staging table holds, read for free: the tick decides from it whether to run any job.

Invariant: nothing here runs a BigQuery job. ``tabledata.list`` (rows, including those still in
the streaming buffer) and ``tables.get`` (the streaming buffer's oldest entry) are metadata
and data reads BigQuery does not bill, while every MERGE or DELETE is billed at least 10 MB per
table it references: an idle tick reads here and stops.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from strikeouts.warehouse.base import WarehouseError

if TYPE_CHECKING:
    from strikeouts.cloud.bigquery_warehouse import BigQueryWarehouse

_PAGE_ROWS = 10_000


@dataclass(frozen=True)
class StagedRow:
    """One staged row, as far as merging needs to know it."""

    staged_at: dt.datetime
    restore: bool


@dataclass(frozen=True)
class Staged:
    """Every row of a staging table (its two merge columns), read before a merge."""

    rows: tuple[StagedRow, ...]

    def unmerged(self, merged_through: dt.datetime | None) -> tuple[StagedRow, ...]:
        """Rows not known to be in the final table: staged after ``merged_through``."""
        return tuple(r for r in self.rows if merged_through is None or r.staged_at > merged_through)

    def clearable(self, merged_through: dt.datetime | None) -> bool:
        """Whether some row is known to be merged (staged at or before ``merged_through``)."""
        return merged_through is not None and any(r.staged_at <= merged_through for r in self.rows)


def read_staged(warehouse: BigQueryWarehouse, staging_id: str) -> Staged:
    """The staging table's rows through ``tabledata.list`` (free; no job)."""
    from google.cloud import bigquery

    # the only columns read: when each row was staged and whether a replay re-offered it
    fields = [
        bigquery.SchemaField("staged_at", "TIMESTAMP"),
        bigquery.SchemaField("restore", "BOOLEAN"),
    ]
    try:
        rows = warehouse.client.list_rows(
            staging_id, selected_fields=fields, page_size=_PAGE_ROWS, timeout=warehouse.timeout
        )
        read = tuple(StagedRow(_utc(row["staged_at"]), bool(row["restore"])) for row in rows)
    except Exception as exc:
        raise WarehouseError(f"reading staged rows of {staging_id} failed: {exc}") from exc
    return Staged(read)


def in_streaming_buffer(warehouse: BigQueryWarehouse, staging_id: str, before: dt.datetime) -> bool:
    """Whether rows staged at or before ``before`` may still be in the streaming buffer, where
    BigQuery refuses to DELETE them (``tables.get``, free): a clear then waits, costing no job."""
    try:
        table = warehouse.client.get_table(staging_id, timeout=warehouse.timeout)
    except Exception as exc:
        raise WarehouseError(f"reading {staging_id} metadata failed: {exc}") from exc
    buffer = table.streaming_buffer
    oldest = buffer.oldest_entry_time if buffer is not None else None
    return oldest is not None and _utc(oldest) <= before


def _utc(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
