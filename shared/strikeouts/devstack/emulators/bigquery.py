"""Run bqemulator offline, and without translating the same SQL twice.

Run as ``python -m strikeouts.devstack.emulators.bigquery start --rest-port N ...``, this module
patches bqemulator in this process only, then hands over to bqemulator's own CLI:

- bqemulator refuses to start when DuckDB cannot download ``spatial`` (no internet here); its
  load becomes a local-only LOAD that may fail (only GEOGRAPHY is lost).
- Its synchronous endpoints (``tabledata.list``, table and dataset reads) run in FastAPI's
  thread pool, on the same DuckDB connection that the event loop's endpoints (``insertAll``,
  query jobs) use. A DuckDB connection is not safe to share between threads: a streaming
  insert and a concurrent ``tabledata.list`` deadlock both threads (seen on the local stack,
  reproduced by tests/emulators/test_bigquery_concurrency.py), and a ``fetchone`` can read
  another thread's result. Every endpoint runs on the event loop's thread instead, one at a
  time, as the single connection assumes.
- Its BigQuery-to-DuckDB translation (sqlglot: parse, annotate, rewrite, generate) is about
  half of the emulator's CPU, and the project sends the same statements over and over (its
  queries are parameterised). ``SQLTranslator.translate`` is a pure function of the SQL text,
  the column types of the tables it reads and the caller, so its successful results are
  memoised on exactly those (bounded LRU). Failures are not kept: they are re-translated, and
  raised as before. The table-reference qualification that follows (a parse and a render of
  the translated SQL, a pure function of it and the project) is memoised the same way.
  ``BQEMU_TRANSLATION_CACHE=0`` turns both memos off. With ``BQEMU_TRANSLATION_CACHE_DIR`` set,
  translations are also shared through that directory by every emulator that names it (one
  file per input, named by its digest and bqemulator's and sqlglot's versions, written
  atomically): the test session's emulators and stacks translate each statement once.
- Before translating, bqemulator parses each statement again in every rewrite pass (time
  travel, row access, the catalog schema, ...), and parsing is most of what a memoised
  translation leaves. ``sqlglot.parse_one`` keeps its trees (bounded LRU, keyed on the SQL and
  the dialect's name) and hands every caller its own deep copy, since the passes rewrite the
  tree in place: a copy costs about a tenth of a parse. Off with the memos above.
- To enforce row access policies through views, bqemulator replaces every view a query reads
  with the view's body, recursively, before translating: a query on a monitoring view (views
  on views) becomes tens of kB of SQL, parsed, translated and planned afresh for each dataset.
  The project defines no row access policy; while the catalog holds none, a query is left
  reading the view, which DuckDB holds as translated when it was created (the same body).
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections import OrderedDict
from importlib.metadata import version
from pathlib import Path
from typing import Any

from strikeouts.devstack.emulators.process import HOST, ServerProcess, free_port, start_server

DEFAULT_PROJECT = "strikeouts-local"
TRANSLATION_CACHE_SIZE = 4096
# the directory of translations shared between emulators (unset: none)
TRANSLATION_CACHE_DIR_ENV = "BQEMU_TRANSLATION_CACHE_DIR"
# a parsed view of a few kB holds about a thousand nodes
PARSE_CACHE_SIZE = 512


def _optional_spatial() -> None:
    """Make bqemulator's ``spatial`` load local-only and non-fatal (no download attempt)."""
    from bqemulator.storage.engine import DuckDBEngine

    def load_if_installed(self: DuckDBEngine) -> None:
        try:
            self.connection.execute("LOAD spatial")
        except Exception as exc:  # any DuckDB error means: not installed locally
            print(f"bqemulator: spatial extension not available, GEOGRAPHY disabled ({exc})")

    DuckDBEngine._load_spatial = load_if_installed  # type: ignore[method-assign]


def _endpoints_on_the_event_loop() -> None:
    """Run FastAPI's synchronous endpoints and dependencies inline, not in its thread pool."""
    import fastapi.routing

    async def inline(func: Any, *args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    fastapi.routing.run_in_threadpool = inline


def _memoise_parses(size: int = PARSE_CACHE_SIZE) -> None:
    """Memoise ``sqlglot.parse_one`` for a dialect given by name; each call returns a copy."""
    import functools

    import sqlglot

    parse_one = sqlglot.parse_one
    parsed = functools.lru_cache(maxsize=size)(lambda sql, name: parse_one(sql, read=name))

    def memoised(
        sql: str, read: Any = None, dialect: Any = None, into: Any = None, **opts: Any
    ) -> Any:
        name = read or dialect
        if into is not None or opts or not (name is None or isinstance(name, str)):
            return parse_one(sql, read=read, dialect=dialect, into=into, **opts)
        return parsed(sql, name).copy()

    sqlglot.parse_one = memoised


def _views_by_reference() -> None:
    """Skip bqemulator's row-access rewrite (which inlines views) while no policy exists."""
    import bqemulator.sql.inner_query as inner_query

    rewrite = inner_query.rewrite_for_row_access

    def unless_unprotected(bq_sql: str, *, catalog: Any, **kwargs: Any) -> str:
        if not catalog.list_all_row_access_policies():
            return bq_sql
        return rewrite(bq_sql, catalog=catalog, **kwargs)

    inner_query.rewrite_for_row_access = unless_unprotected


def _schema_key(schema: dict[str, dict[str, str]] | None) -> tuple[Any, ...]:
    """The translation's schema input as a hashable value (table -> ordered column types)."""
    if not schema:
        return ()
    return tuple((table, tuple(columns.items())) for table, columns in sorted(schema.items()))


def _memoise_translations(size: int = TRANSLATION_CACHE_SIZE, shared: Path | None = None) -> None:
    """Memoise ``SQLTranslator.translate``'s successful results on all of its inputs, in this
    process and, with ``shared``, in that directory."""
    from bqemulator.domain.result import Ok
    from bqemulator.sql.translator import SQLTranslator

    translate = SQLTranslator.translate
    memo: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
    versions = (version("bqemulator"), version("sqlglot"))

    def on_disk(key: tuple[Any, ...]) -> Path | None:
        if shared is None:
            return None
        digest = hashlib.sha256(repr((versions, key)).encode()).hexdigest()
        return shared / f"{digest}.sql"

    def memoised(self: SQLTranslator, bq_sql: str, **kwargs: Any) -> Any:
        schema = kwargs.get("schema")
        extra = tuple(sorted((k, repr(v)) for k, v in kwargs.items() if k != "schema"))
        key = (bq_sql, _schema_key(schema), extra)
        if key in memo:
            memo.move_to_end(key)
            return memo[key]
        path = on_disk(key)
        result: Any
        if path is not None and path.is_file():
            result = Ok(path.read_text())
        else:
            result = translate(self, bq_sql, **kwargs)
            if path is not None and result.is_ok():
                _write_atomically(path, result.value)
        if result.is_ok():
            memo[key] = result
            if len(memo) > size:
                memo.popitem(last=False)
        return result

    SQLTranslator.translate = memoised  # type: ignore[method-assign]


def _write_atomically(path: Path, text: str) -> None:
    """``text`` into ``path``, whole or not at all (another emulator may read it at once)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{os.getpid()}.part")
    partial.write_text(text)
    os.replace(partial, path)


def _memoise_table_refs(size: int = TRANSLATION_CACHE_SIZE) -> None:
    """Memoise ``rewrite_table_refs(duckdb_sql, project_id)`` where the job executor calls it."""
    import functools

    import bqemulator.jobs.executor as executor

    executor.rewrite_table_refs = functools.lru_cache(maxsize=size)(executor.rewrite_table_refs)


def start_bigquery_emulator(
    log_dir: Path,
    project: str = DEFAULT_PROJECT,
    data_dir: Path | None = None,
    timeout: float = 30.0,
) -> ServerProcess:
    """Start bqemulator's REST API on a free 127.0.0.1 port (in-memory unless ``data_dir``)."""
    port = free_port()
    argv = [
        sys.executable,
        "-m",
        __name__,
        "start",
        "--rest-host",
        HOST,
        "--rest-port",
        str(port),
        "--grpc-host",
        HOST,
        "--grpc-port",
        "0",
        "--project",
        project,
        "--log-level",
        "warning",
    ]
    if data_dir is not None:
        argv += ["--persistent", "--data-dir", str(data_dir)]
    # avro/orc are best-effort downloads in bqemulator; skip the doomed network attempt
    env = {"BQEMU_ENABLE_FORMAT_EXTENSIONS": "false"}
    return start_server(
        "bqemulator", argv, port, log_dir / "bqemulator.log", env=env, timeout=timeout
    )


def main() -> None:
    """Patch the spatial load and the translator, then run bqemulator's CLI with this process's
    arguments."""
    _optional_spatial()
    _endpoints_on_the_event_loop()
    _views_by_reference()
    if os.environ.get("BQEMU_TRANSLATION_CACHE", "1") != "0":
        _memoise_parses()
        shared = os.environ.get(TRANSLATION_CACHE_DIR_ENV)
        _memoise_translations(shared=Path(shared) if shared else None)
        _memoise_table_refs()
    from bqemulator.cli import main as bqemulator_cli

    bqemulator_cli(prog_name="bqemulator")


if __name__ == "__main__":
    main()
