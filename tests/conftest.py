"""Shared fixtures: the real data directory, one ingested warehouse per test session, and the
BigQuery and Cloud Storage emulators (started once per session, only when a test asks)."""

from __future__ import annotations

import functools
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from strikeouts.devstack.emulators import EmulatorError, ServerProcess
from strikeouts.devstack.emulators.bigquery import (
    DEFAULT_PROJECT,
    TRANSLATION_CACHE_DIR_ENV,
    start_bigquery_emulator,
)
from strikeouts.devstack.emulators.gcs import start_gcs_emulator
from strikeouts.devstack.emulators.pubsub import start_pubsub_emulator
from strikeouts.settings import get_settings

if TYPE_CHECKING:  # google.cloud is imported only by the tests that use BigQuery
    from strikeouts.cloud.bigquery_warehouse import BigQueryWarehouse
    from strikeouts.data.ingest import IngestReport
    from strikeouts.warehouse.duckdb_backend import DuckDBWarehouse

ROOT = Path(__file__).resolve().parents[1]
FIT_CACHE_ENV = "STRIKEOUTS_FIT_CACHE"


def _data_dir() -> Path:
    env = os.environ.get("STRIKEOUTS_DATA_DIR")
    return Path(env) if env else ROOT.parent / "shared" / "data"


def require_data() -> Path:
    """The real data directory; in CI its absence fails the test, elsewhere it skips."""
    path = _data_dir()
    if not (path / "retrosheet").is_dir():
        message = f"real data not found at {path} (set STRIKEOUTS_DATA_DIR)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def live_fixtures() -> Path:
    """``fixtures/live`` beside the data directory (Stats API and Odds API shapes; ``../shared``
    for a clone beside it, or wherever STRIKEOUTS_DATA_DIR points); fails in CI when absent."""
    path = _data_dir().parent / "fixtures" / "live"
    if not (path / "README.md").is_file():
        _unavailable(f"live-source fixtures not found at {path}")
    return path


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return require_data()


def _unavailable(message: str) -> None:
    """In CI a missing emulator fails the test; elsewhere it skips."""
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def _serve(
    start: Callable[[], ServerProcess], what: str, errors: tuple[type[BaseException], ...]
) -> Iterator[ServerProcess]:
    """Start an emulator for the session and stop it by its process group afterwards."""
    try:
        server = start()
    except errors as exc:
        _unavailable(f"cannot start {what}: {exc}")
        raise  # unreachable: _unavailable always raises
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def bigquery_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """bqemulator on a free 127.0.0.1 port for the session, stopped by its process group."""
    folder = tmp_path_factory.mktemp("bqemulator")
    yield from _serve(
        lambda: start_bigquery_emulator(folder), "the BigQuery emulator", (EmulatorError, OSError)
    )


@pytest.fixture(scope="session")
def bigquery_warehouse(bigquery_emulator: ServerProcess) -> Iterator[BigQueryWarehouse]:
    """A BigQueryWarehouse on dataset ``session`` of the emulator, with every table created."""
    from strikeouts.cloud.bigquery_warehouse import BigQueryWarehouse

    warehouse = BigQueryWarehouse(
        project=DEFAULT_PROJECT,
        dataset="session",
        endpoint=bigquery_emulator.endpoint,
        timeout=30.0,
    )
    warehouse.ensure_tables()
    yield warehouse
    warehouse.close()


@pytest.fixture(scope="session")
def gcs_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """fake-gcs-server (in-memory) on a free 127.0.0.1 port for the session.

    Runs the bundled binary through ``strikeouts.devstack.emulators.gcs`` (not the wrapper's
    ``FakeGCSServer``, which blocks after about 300 requests).
    """
    folder = tmp_path_factory.mktemp("fakegcs")
    yield from _serve(
        lambda: start_gcs_emulator(folder), "fake-gcs-server", (ImportError, RuntimeError, OSError)
    )


@pytest.fixture(scope="session")
def pubsub_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """The official Pub/Sub emulator for the session (fails in CI, skips elsewhere, if absent)."""
    folder = tmp_path_factory.mktemp("pubsub")
    yield from _serve(
        lambda: start_pubsub_emulator(folder), "the Pub/Sub emulator", (EmulatorError, OSError)
    )


@pytest.fixture(scope="session")
def _ingest_run(
    data_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[DuckDBWarehouse, IngestReport]]:
    from strikeouts.data.ingest import ingest_all
    from strikeouts.warehouse.duckdb_backend import DuckDBWarehouse

    store = DuckDBWarehouse(tmp_path_factory.mktemp("ingested") / "warehouse.duckdb")
    report = ingest_all(data_dir, store)
    try:
        yield store, report
    finally:
        store.close()


@pytest.fixture(scope="session")
def ingested(_ingest_run: tuple[DuckDBWarehouse, IngestReport]) -> DuckDBWarehouse:
    """A DuckDB warehouse holding the full real data, ingested once per session."""
    return _ingest_run[0]


@pytest.fixture(scope="session")
def ingest_report(_ingest_run: tuple[DuckDBWarehouse, IngestReport]) -> IngestReport:
    """The report of the session's one full ingest."""
    return _ingest_run[1]


# With pytest-xdist (`make test` runs `-n 2`), tests are handed out in groups: each group runs
# whole on one worker, so the session fixtures its tests share (a local stack, a replayed week,
# trained champions) are built on one worker only. A group is named from the node id alone,
# because that is all xdist's controller sees (the xdist_group mark cannot be used: pytest 9.2
# no longer reads the node-id suffix that loadgroup writes, pytest-dev/pytest-xdist#1386).
# The tests on the session's local stack are split in two groups, one per worker at most, so
# the two stacks' waits overlap; the heaviest groups are handed out first.
STACK_GROUPS = {
    "cloud/test_deploy_stack.py": "stack-deploy",
    "cloud/test_deploy_fresh_stack.py": "stack-deploy",
    "cloud/test_stack_broken_deploy.py": "stack-deploy",
    "cloud/test_stack_e2e.py": "stack-serve",
    "cloud/test_stack_faults.py": "stack-serve",
    "cloud/test_stack_completion.py": "stack-serve",
    "cloud/test_stack_promotion.py": "stack-serve",
    "cloud/test_registry_system.py": "stack-serve",
}
SPLIT_FILES = {"monitoring/test_checks.py": "monitoring-checks"}
# measured wall seconds of the heaviest groups (two workers, 2026-12-07); the rest follow in
# collection order
GROUP_SECONDS = {
    "stack-serve": 215,
    "stack-deploy": 122,
    "monitoring": 99,
    "gameday": 90,
    "runtime": 73,
    "data": 40,
    "backtest": 32,
    "monitoring-checks": 32,
    "pipeline": 26,
    "models": 25,
    "features": 23,
    "cloud": 20,
    # last: `make test` builds checkov's venv and the provider schemas it reads beside the run
    "infra": -1,
}


def worker_group(nodeid: str) -> str:
    """The group of a test, from its node id: a split file's or the stack's own, else its
    folder under tests/ (``root`` for the top-level files)."""
    where = nodeid.split("::", 1)[0].removeprefix("tests/")
    if where in STACK_GROUPS:
        return STACK_GROUPS[where]
    if where in SPLIT_FILES:
        return SPLIT_FILES[where]
    folder, _, rest = where.partition("/")
    return folder if rest else "root"


def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    """xdist's scope scheduler, with scopes from :func:`worker_group`, heaviest first."""
    from xdist.scheduler import LoadScopeScheduling

    class GroupScheduling(LoadScopeScheduling):  # type: ignore[misc]
        ordered = False

        def _split_scope(self, nodeid: str) -> str:
            return worker_group(nodeid)

        def _assign_work_unit(self, node: object) -> None:
            if not self.ordered:  # the queue is complete before the first unit is handed out
                queue = sorted(self.workqueue.items(), key=lambda kv: -GROUP_SECONDS.get(kv[0], 0))
                self.workqueue.clear()
                self.workqueue.update(queue)
                self.ordered = True
            super()._assign_work_unit(node)

    return GroupScheduling(config, log)


# Folders the whole run shares (made by the controller, inherited by xdist's workers and every
# emulator and stack they start, removed at the end; a folder the caller set is kept): the
# BigQuery emulator's translations (strikeouts.devstack.emulators.bigquery) and fitted systems
# (strikeouts.models.fit_cache: a stack, a backtest and a fixture fitting the same system on the
# same rows fit it once).
SHARED_FOLDERS = {TRANSLATION_CACHE_DIR_ENV: "bq-translations-", FIT_CACHE_ENV: "fits-"}


def pytest_configure(config: pytest.Config) -> None:
    if hasattr(config, "workerinput"):
        return
    for variable, prefix in SHARED_FOLDERS.items():
        if os.environ.get(variable):
            continue
        folder = tempfile.mkdtemp(prefix=prefix)
        os.environ[variable] = folder
        config.add_cleanup(functools.partial(shutil.rmtree, folder, ignore_errors=True))


@pytest.fixture(autouse=True)
def _fresh_settings() -> Iterator[None]:
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()
