"""The BigQuery emulator answers concurrent streaming inserts and table reads.

Unpatched, bqemulator runs ``tabledata.list`` in a thread on the DuckDB connection that an
``insertAll`` is using on the event loop, and the two deadlock within a few requests (the hang
seen on the local stack: the staging merge's read never returned). The wrapper in
``strikeouts.devstack.emulators.bigquery`` runs every endpoint on the event loop.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Callable

import pytest

from strikeouts.devstack.emulators import ServerProcess
from strikeouts.devstack.emulators.bigquery import DEFAULT_PROJECT

pytestmark = pytest.mark.emulator
ROUNDS = 60
ROWS_PER_INSERT = 20


def test_inserts_and_reads_at_once_all_finish_and_agree(bigquery_emulator: ServerProcess) -> None:
    from google.api_core.client_options import ClientOptions
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import bigquery

    client = bigquery.Client(
        project=DEFAULT_PROJECT,
        credentials=AnonymousCredentials(),
        client_options=ClientOptions(api_endpoint=bigquery_emulator.endpoint),
    )
    dataset = f"race_{uuid.uuid4().hex[:8]}"
    client.create_dataset(dataset)
    schema = [bigquery.SchemaField("n", "INTEGER")]
    table = client.create_table(bigquery.Table(f"{DEFAULT_PROJECT}.{dataset}.t", schema=schema))
    done: Counter[str] = Counter()
    failures: list[BaseException] = []

    def insert() -> None:
        for n in range(ROUNDS):
            errors = client.insert_rows_json(table, [{"n": n}] * ROWS_PER_INSERT, timeout=30)
            assert errors == []
            done["insert"] += 1

    def read() -> None:
        for _ in range(ROUNDS):
            list(client.list_rows(table, max_results=50, timeout=30))
            done["read"] += 1

    def guarded(work: Callable[[], None]) -> None:
        try:
            work()
        except BaseException as exc:  # reported by the assertion below
            failures.append(exc)

    threads = [
        threading.Thread(target=guarded, args=(work,), daemon=True) for work in (insert, read, read)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)  # bounded: a deadlock leaves the threads alive
    try:
        assert not any(thread.is_alive() for thread in threads), f"stuck after {dict(done)}"
        assert failures == []
        assert done == {"insert": ROUNDS, "read": 2 * ROUNDS}
        count = client.query(f"SELECT COUNT(*) AS n FROM `{dataset}.t`").result(timeout=30)
        assert next(iter(count))["n"] == ROUNDS * ROWS_PER_INSERT
    finally:
        client.delete_dataset(dataset, delete_contents=True, timeout=30)
        client.close()
