"""What the local stack did, counted the way Google Cloud bills it.

Invariant: every figure is read from what the emulators and functions recorded (bqemulator's
job list, fake-gcs-server's request log, the functions' "delivery handled" and "instance ready"
log lines), never inferred from what the code is supposed to do. BigQuery bytes billed follow
on-demand rules: each query or DML job bills at least 10 MB per table it references (views
expanded to their tables), and at least 10 MB per job; load jobs and metadata reads are free.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from google.cloud import bigquery

MIN_BYTES_PER_TABLE = 10 * 1024 * 1024
DML = frozenset({"INSERT", "UPDATE", "DELETE", "MERGE"})
_REQUEST = re.compile(r'\\"(?P<method>[A-Z]+) (?P<path>\S+) HTTP/[0-9.]+\\" (?P<status>\d{3})')


@dataclass(frozen=True)
class Job:
    """One BigQuery job the stack ran."""

    job_id: str
    kind: str
    """query statement type (SELECT, MERGE, ...) or the job type (load, copy, extract)."""
    tables: tuple[str, ...]
    bytes_billed: int


@dataclass
class Usage:
    """Billable work counted over one stretch of a stack's life."""

    jobs: list[Job] = field(default_factory=list)
    gcs_class_a: int = 0
    gcs_class_b: int = 0
    gcs_free: int = 0
    deliveries: Counter[str] = field(default_factory=Counter)
    """Push deliveries (function invocations) per function."""
    delivered_bytes: int = 0
    billable_ms: float = 0.0
    """Request time per invocation rounded up to 100 ms, plus instance start-up."""
    cold_starts: int = 0

    @property
    def dml_jobs(self) -> int:
        return sum(1 for j in self.jobs if j.kind in DML)

    @property
    def bytes_billed(self) -> int:
        return sum(j.bytes_billed for j in self.jobs)

    @property
    def invocations(self) -> int:
        return sum(self.deliveries.values())


class Meter:
    """Reads a running stack's records from a start mark on."""

    def __init__(self, client: bigquery.Client, gcs_log: Path, function_logs: dict[str, Path]):
        self.client = client
        self.gcs_log = gcs_log
        self.function_logs = function_logs
        self._since = dt.datetime.now(dt.UTC)
        self._seen_jobs: set[str] = set()
        self._offsets: dict[Path, int] = {}
        self._views: dict[str, tuple[str, ...]] = {}

    def mark(self) -> None:
        """Start counting here: what happened before is not read again."""
        self._seen_jobs = {j.job_id for j in self._list_jobs()}
        for path in (self.gcs_log, *self.function_logs.values()):
            self._offsets[path] = path.stat().st_size if path.exists() else 0

    def read(self) -> Usage:
        """What happened since the mark; the mark moves to now."""
        usage = Usage()
        for job in self._list_jobs():
            if job.job_id in self._seen_jobs:
                continue
            self._seen_jobs.add(job.job_id)
            usage.jobs.append(self._job(job))
        for method, path in self._requests():
            kind = gcs_class(method, path)
            if kind == "A":
                usage.gcs_class_a += 1
            elif kind == "B":
                usage.gcs_class_b += 1
            else:
                usage.gcs_free += 1
        for function, log in self.function_logs.items():
            for line in self._new_lines(log):
                _count_function_line(usage, function, line)
        return usage

    def _list_jobs(self) -> list[Any]:
        return list(self.client.list_jobs(all_users=True, max_results=100_000))

    def _job(self, job: Any) -> Job:
        if job.job_type != "query":
            return Job(job.job_id, job.job_type, (), 0)
        kind = str(job.statement_type or "SELECT")
        tables = self._base_tables(referenced_tables(job.query, job.default_dataset))
        billed = max(MIN_BYTES_PER_TABLE, MIN_BYTES_PER_TABLE * len(tables))
        return Job(job.job_id, kind, tables, billed)

    def _base_tables(self, names: tuple[str, ...]) -> tuple[str, ...]:
        """``names`` with every view replaced by the tables it reads (recursively)."""
        out: list[str] = []
        for name in names:
            out.extend(self._expand(name, depth=0))
        return tuple(dict.fromkeys(out))

    def _expand(self, name: str, depth: int) -> tuple[str, ...]:
        if name in self._views:
            return self._views[name]
        try:
            table = self.client.get_table(name)
        except Exception:  # a scratch table already dropped: it was a table
            return (name,)
        found: tuple[str, ...] = (name,)
        if table.view_query and depth < 8:
            dataset = f"{table.project}.{table.dataset_id}"
            inner = referenced_tables(table.view_query, dataset)
            found = tuple(t for n in inner for t in self._expand(n, depth + 1))
        self._views[name] = found
        return found

    def _requests(self) -> list[tuple[str, str]]:
        out = []
        for line in self._new_lines(self.gcs_log):
            match = _REQUEST.search(line)
            if match:
                out.append((match["method"], match["path"]))
        return out

    def _new_lines(self, path: Path) -> list[str]:
        if not path.exists():
            return []
        start = self._offsets.get(path, 0)
        with path.open("rb") as handle:
            handle.seek(start)
            data = handle.read()
        # only whole lines: a line being written is read next time
        end = data.rfind(b"\n") + 1
        self._offsets[path] = start + end
        return data[:end].decode(errors="replace").splitlines()


def _count_function_line(usage: Usage, function: str, line: str) -> None:
    if '"delivery handled"' not in line and '"instance ready"' not in line:
        return
    try:
        record = json.loads(line)
    except ValueError:
        return
    if record.get("event") == "instance ready" or record.get("message") == "instance ready":
        usage.cold_starts += 1
        usage.billable_ms += _ceil100(1000 * float(record.get("init_seconds", 0.0)))
        return
    usage.deliveries[function] += 1
    usage.delivered_bytes += int(record.get("bytes", 0))
    usage.billable_ms += _ceil100(float(record.get("ms", 0.0)))


def _ceil100(ms: float) -> float:
    """Cloud Run bills request time in 100 ms steps."""
    return max(100.0, -(-ms // 100) * 100)


def gcs_class(method: str, path: str) -> str:
    """Cloud Storage operation class of a JSON API request: A, B, or free (deletes)."""
    if method == "DELETE":
        return "free"
    if method in {"POST", "PUT", "PATCH"}:
        return "A"
    bare = path.split("?", 1)[0].rstrip("/")
    # GET .../b/BUCKET/o lists objects (class A); GET .../o/NAME reads one (class B)
    if re.search(r"/b/[^/]+/o$", bare) or re.search(r"/storage/v1/b$", bare):
        return "A"
    return "B"


def referenced_tables(sql: str | None, default_dataset: Any) -> tuple[str, ...]:
    """Fully qualified tables (or views) ``sql`` reads or writes, CTE names left out."""
    import sqlglot
    from sqlglot import exp

    if not sql:
        return ()
    dataset = str(default_dataset) if default_dataset is not None else ""
    try:
        tree = sqlglot.parse_one(sql, read="bigquery")
    except sqlglot.errors.ParseError:
        return ()
    ctes = {c.alias_or_name for c in tree.find_all(exp.CTE)}
    names = []
    for table in tree.find_all(exp.Table):
        if not table.name or (not table.db and table.name in ctes):
            continue
        parts = [p for p in (table.catalog, table.db, table.name) if p]
        if len(parts) == 1 and dataset:
            parts = [*dataset.split("."), parts[0]]
        elif len(parts) == 2 and dataset:
            parts = [dataset.split(".")[0], *parts]
        names.append(".".join(parts))
    return tuple(dict.fromkeys(names))
