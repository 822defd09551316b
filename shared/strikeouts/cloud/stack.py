"""The local stack: the official Pub/Sub emulator, bqemulator, fake-gcs-server and the five
functions under functions-framework, wired like the cloud deployment, all on 127.0.0.1.

Invariants:

- every process runs in its own process group, recorded (pid = pgid, port, log) in
  ``state_dir/stack.json`` before ``up`` returns; ``down`` stops exactly those groups;
- topics and push subscriptions mirror ``infra/`` (one subscription per consuming function,
  a fresh set per ``up``); the dead-letter topic has a pull subscription to inspect;
- the fanout reads a snapshot of the feature warehouse taken by ``up`` (never the user's file,
  which stays writable for ``run`` and ``ingest``);
- functions get their configuration only through the environment (``STRIKEOUTS_*`` and the
  official ``*_EMULATOR_HOST`` variables), exactly as a deployed function would.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from strikeouts.cloud.functions import FUNCTION_NAMES
from strikeouts.emulators.bigquery import start_bigquery_emulator
from strikeouts.emulators.gcs import start_gcs_emulator
from strikeouts.emulators.process import HOST, ServerProcess, free_port, port_open, start_server
from strikeouts.emulators.pubsub import start_pubsub_emulator
from strikeouts.logs import get_logger
from strikeouts.settings import PROJECT_ROOT, Settings

log = get_logger(__name__)

STACK_FILE = "stack.json"
DATASET = "strikeouts"
BUCKET = "strikeouts-local"
DEAD_LETTER_PULL = "dead-letter-inspect"
ACK_DEADLINE_SECONDS = 60
ADMIN_TIMEOUT_SECONDS = 30.0

# (function, topic setting) for every push subscription, as in infra/pubsub.tf
ROUTES: tuple[tuple[str, str], ...] = (
    ("fanout", "topic_game_schedule"),
    ("predict_v1_baseline", "topic_pitcher_games"),
    ("predict_v1_6_rolling", "topic_pitcher_games"),
    ("ensemble", "topic_pitcher_games"),
    ("ensemble", "topic_system_predictions"),
    ("ensemble_tick", "topic_ensemble_ticks"),
)
# the game-day functions, started only when `stack_up` gets their sources (``gameday_env``)
GAMEDAY_ROUTES: tuple[tuple[str, str], ...] = (
    ("schedule", "topic_gameday_schedule"),
    ("results", "topic_gameday_results"),
)
TOPIC_SETTINGS = (
    "topic_game_schedule",
    "topic_pitcher_games",
    "topic_system_predictions",
    "topic_ensemble_ticks",
    "topic_dead_letter",
)

Progress = Callable[[str], None]


class StackError(RuntimeError):
    """The local stack could not be brought up, or is not up."""


@dataclass
class StackProcess:
    """One server of the stack."""

    name: str
    pid: int
    port: int
    log: str
    started_in: float

    @property
    def alive(self) -> bool:
        try:
            os.killpg(self.pid, 0)
        except (ProcessLookupError, PermissionError):
            return False
        return True


@dataclass
class StackInfo:
    """What ``stack up`` started and where, as written to ``stack.json``."""

    project: str
    pubsub_host: str
    bigquery_endpoint: str
    storage_host: str
    dataset: str
    bucket: str
    feature_warehouse: str
    processes: dict[str, StackProcess] = field(default_factory=dict)
    started_at: str = ""

    @property
    def warehouse(self) -> str:
        return f"bigquery://{self.project}/{self.dataset}"

    @property
    def model_store(self) -> str:
        return f"gs://{self.bucket}/models"

    @property
    def aggregation_state(self) -> str:
        return f"gs://{self.bucket}/state"

    def function_port(self, name: str) -> int:
        return self.processes[name].port

    def settings(self, base: Settings | None = None) -> Settings:
        """Settings that point every adapter at this stack."""
        values = (base or Settings()).model_dump()
        values.update(
            gcp_project=self.project,
            warehouse=self.warehouse,
            bigquery_endpoint=self.bigquery_endpoint,
            model_store=self.model_store,
            aggregation_state=self.aggregation_state,
            feature_warehouse=self.feature_warehouse,
            pubsub_emulator_host=self.pubsub_host,
            storage_emulator_host=self.storage_host,
        )
        return Settings(**values)

    def environment(self) -> dict[str, str]:
        """The environment of a function process on this stack."""
        return {
            "PUBSUB_EMULATOR_HOST": self.pubsub_host,
            "STORAGE_EMULATOR_HOST": self.storage_host,
            "STRIKEOUTS_GCP_PROJECT": self.project,
            "STRIKEOUTS_WAREHOUSE": self.warehouse,
            "STRIKEOUTS_BIGQUERY_ENDPOINT": self.bigquery_endpoint,
            "STRIKEOUTS_MODEL_STORE": self.model_store,
            "STRIKEOUTS_AGGREGATION_STATE": self.aggregation_state,
            "STRIKEOUTS_FEATURE_WAREHOUSE": self.feature_warehouse,
            "STRIKEOUTS_LOG_FORMAT": "json",
        }

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2, sort_keys=True))
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> StackInfo:
        if not path.is_file():
            raise StackError(f"no local stack recorded in {path}: run `strikeouts stack up`")
        raw = json.loads(path.read_text())
        raw["processes"] = {k: StackProcess(**v) for k, v in raw["processes"].items()}
        return cls(**raw)


def stack_file(settings: Settings) -> Path:
    """Where the running stack is recorded."""
    return Path(settings.state_dir) / STACK_FILE


def _record(server: ServerProcess) -> StackProcess:
    return StackProcess(
        server.name, server.process.pid, server.port, str(server.log_path), server.started_in
    )


def stop_process(proc: StackProcess, timeout: float = 10.0) -> None:
    """SIGTERM the process group, SIGKILL it if still there after ``timeout`` (bounded)."""
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(proc.pid, os.WNOHANG)  # reap it if it is our child
            if not proc.alive:
                return
            time.sleep(0.05)


def _function_argv(name: str, port: int) -> list[str]:
    exe = Path(sys.executable).parent / "functions-framework"
    return [
        str(exe),
        f"--target={name}",
        f"--source={PROJECT_ROOT / 'functions' / name / 'main.py'}",
        "--signature-type=cloudevent",
        f"--host={HOST}",
        f"--port={port}",
    ]


def start_function(
    info: StackInfo, name: str, log: Path, extra_env: Mapping[str, str], port: int | None = None
) -> StackProcess:
    """Start one function under functions-framework (on ``port`` or a free one)."""
    port = port or free_port()
    env = {**info.environment(), **extra_env}
    return _record(start_server(name, _function_argv(name, port), port, log, env=env, timeout=60.0))


def restart_function(
    settings: Settings, name: str, extra_env: Mapping[str, str] | None = None
) -> StackProcess:
    """Stop ``name`` and start it again on the same port (a killed-and-replaced instance)."""
    path = stack_file(settings)
    info = StackInfo.load(path)
    old = info.processes[name]
    stop_process(old)
    info.processes[name] = start_function(info, name, Path(old.log), extra_env or {}, old.port)
    info.save(path)
    return info.processes[name]


def stop_function(settings: Settings, name: str) -> None:
    """Stop one function (its push subscription then fails and is retried by Pub/Sub)."""
    info = StackInfo.load(stack_file(settings))
    stop_process(info.processes[name])


def _create_pubsub(
    info: StackInfo, settings: Settings, routes: tuple[tuple[str, str], ...] = ROUTES
) -> None:
    from google.api_core.retry import Retry
    from google.cloud.pubsub_v1 import PublisherClient, SubscriberClient

    os.environ["PUBSUB_EMULATOR_HOST"] = info.pubsub_host
    retry = Retry(initial=0.1, maximum=1.0, timeout=ADMIN_TIMEOUT_SECONDS)
    publisher = PublisherClient()
    subscriber = SubscriberClient()
    try:
        topics = dict.fromkeys([*TOPIC_SETTINGS, *(attr for _, attr in routes)])
        for attr in topics:
            topic = publisher.topic_path(info.project, getattr(settings, attr))
            publisher.create_topic(name=topic, retry=retry, timeout=ADMIN_TIMEOUT_SECONDS)
        for function, attr in routes:
            topic_id = getattr(settings, attr)
            port = info.function_port(function)
            subscriber.create_subscription(
                request={
                    "name": subscriber.subscription_path(info.project, f"{topic_id}--{function}"),
                    "topic": publisher.topic_path(info.project, topic_id),
                    # the topic in the path lets functions-framework name the CloudEvent source
                    "push_config": {
                        "push_endpoint": f"http://{HOST}:{port}/projects/{info.project}/topics/{topic_id}"
                    },
                    "ack_deadline_seconds": ACK_DEADLINE_SECONDS,
                },
                retry=retry,
                timeout=ADMIN_TIMEOUT_SECONDS,
            )
        subscriber.create_subscription(
            request={
                "name": subscriber.subscription_path(info.project, DEAD_LETTER_PULL),
                "topic": publisher.topic_path(info.project, settings.topic_dead_letter),
                "ack_deadline_seconds": ACK_DEADLINE_SECONDS,
            },
            retry=retry,
            timeout=ADMIN_TIMEOUT_SECONDS,
        )
    finally:
        subscriber.close()


def _create_warehouse(info: StackInfo) -> None:
    from strikeouts.cloud.staging import ensure_staging
    from strikeouts.warehouse.bigquery_backend import BigQueryWarehouse

    warehouse = BigQueryWarehouse(
        project=info.project, dataset=info.dataset, endpoint=info.bigquery_endpoint, timeout=30.0
    )
    try:
        warehouse.ensure_tables()
        ensure_staging(warehouse)  # the predictions, their staging table and the view
    finally:
        warehouse.close()


def _create_bucket_and_models(
    info: StackInfo, settings: Settings, train_end: dt.date, progress: Progress | None
) -> None:
    from strikeouts.cloud.clients import storage_client
    from strikeouts.cloud.functions import open_function_model_store
    from strikeouts.models.service import ensure_champions
    from strikeouts.warehouse.duckdb_backend import ReadOnlyDuckDBWarehouse

    stack_settings = info.settings(settings)
    client = storage_client(stack_settings)
    if client.lookup_bucket(info.bucket) is None:
        client.create_bucket(info.bucket)
    store = open_function_model_store(stack_settings)
    features = ReadOnlyDuckDBWarehouse(info.feature_warehouse)
    try:
        ensure_champions(features, store, train_end, progress=progress)
    finally:
        features.close()


def snapshot_warehouse(source: Path, target: Path) -> Path:
    """A copy of the DuckDB warehouse ``source`` at ``target`` (WAL included), for the fanout.

    The functions hold their file open read-only for as long as the stack is up, and DuckDB
    then refuses any writer: with a snapshot, `strikeouts run` and `ingest` keep working on the
    user's warehouse meanwhile (`stack up` again to serve newer data).
    """
    import duckdb

    target.parent.mkdir(parents=True, exist_ok=True)
    target.unlink(missing_ok=True)
    con = duckdb.connect()
    try:
        # ATTACH takes no parameters: quote the paths as SQL literals
        con.execute(f"ATTACH {_literal(source)} AS source (READ_ONLY)")
        con.execute(f"ATTACH {_literal(target)} AS snapshot")
        con.execute("COPY FROM DATABASE source TO snapshot")
    except duckdb.Error as exc:
        raise StackError(f"cannot snapshot the feature warehouse {source}: {exc}") from exc
    finally:
        con.close()
    return target


def _literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def stack_up(
    settings: Settings,
    *,
    feature_warehouse: Path,
    train_end: dt.date,
    function_env: Mapping[str, str] | None = None,
    persist: bool = False,
    tick_seconds: float = 60.0,
    progress: Progress | None = None,
    gameday_env: Mapping[str, str] | None = None,
) -> StackInfo:
    """Start everything, create topics/subscriptions/tables/bucket/models; write stack.json.

    With ``gameday_env`` (the live sources' settings, e.g. a local fixture server's URLs) the
    game-day functions ``schedule`` and ``results`` run too, with their topics and routes.
    """
    path = stack_file(settings)
    if path.exists():
        running = StackInfo.load(path)
        if any(p.alive for p in running.processes.values()):
            raise StackError(f"a stack is already up ({path}): run `strikeouts stack down` first")
    if not Path(feature_warehouse).is_file():
        raise StackError(
            f"feature warehouse {feature_warehouse} does not exist: run `strikeouts ingest` first"
        )
    state = Path(settings.state_dir) / "stack"
    log_dir = state / "logs"
    started: list[StackProcess] = []
    say = progress or (lambda _: None)
    try:
        say("starting the Pub/Sub emulator, bqemulator and fake-gcs-server")
        pubsub = _record(start_pubsub_emulator(log_dir, state / "pubsub" if persist else None))
        started.append(pubsub)
        bigquery = _record(
            start_bigquery_emulator(log_dir, data_dir=state / "bigquery" if persist else None)
        )
        started.append(bigquery)
        gcs = _record(start_gcs_emulator(log_dir, state / "gcs" if persist else None))
        started.append(gcs)
        say("taking a snapshot of the feature warehouse for the fanout")
        snapshot = snapshot_warehouse(Path(feature_warehouse), state / "features.duckdb")
        info = StackInfo(
            project=settings.gcp_project,
            pubsub_host=f"{HOST}:{pubsub.port}",
            bigquery_endpoint=f"http://{HOST}:{bigquery.port}",
            storage_host=f"http://{HOST}:{gcs.port}",
            dataset=DATASET,
            bucket=BUCKET,
            feature_warehouse=str(snapshot.resolve()),
            processes={p.name: p for p in started},
            started_at=dt.datetime.now(dt.UTC).isoformat(),
        )
        info.save(path)
        say("creating the BigQuery dataset and tables")
        _create_warehouse(info)
        say(f"ensuring champion models in {info.model_store}")
        _create_bucket_and_models(info, settings, train_end, progress)
        say("starting the five functions")
        for name in FUNCTION_NAMES:
            proc = start_function(info, name, log_dir / f"{name}.log", function_env or {})
            info.processes[name] = proc
            started.append(proc)
            info.save(path)
        routes = ROUTES
        if gameday_env is not None:
            say("starting the game-day functions")
            for name, _ in GAMEDAY_ROUTES:
                env = {**(function_env or {}), **gameday_env}
                proc = start_function(info, name, log_dir / f"{name}.log", env)
                info.processes[name] = proc
                started.append(proc)
                info.save(path)
            routes = (*ROUTES, *GAMEDAY_ROUTES)
        say("creating topics and push subscriptions")
        _create_pubsub(info, settings, routes)
        if tick_seconds > 0:
            ticker = _start_ticker(info, log_dir, tick_seconds)
            info.processes[ticker.name] = ticker
            started.append(ticker)
    except BaseException:
        for proc in reversed(started):
            stop_process(proc)
        path.unlink(missing_ok=True)
        raise
    info.save(path)
    return info


def _start_ticker(info: StackInfo, log_dir: Path, interval: float) -> StackProcess:
    """The Cloud Scheduler stand-in (no port: it only publishes)."""
    log = log_dir / "ticker.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "strikeouts.cloud.ticker", f"--interval={interval}"],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, **info.environment()},
            start_new_session=True,
        )
    return StackProcess("ticker", process.pid, 0, str(log), 0.0)


def stack_down(settings: Settings) -> list[str]:
    """Stop every recorded process group; returns the names stopped."""
    path = stack_file(settings)
    info = StackInfo.load(path)
    for proc in reversed(list(info.processes.values())):
        stop_process(proc)
    path.unlink(missing_ok=True)
    return list(info.processes)


def stack_status(settings: Settings) -> dict[str, dict[str, Any]]:
    """Per process: pid, port, alive, listening, log."""
    info = StackInfo.load(stack_file(settings))
    return {
        name: {
            "pid": proc.pid,
            "port": proc.port,
            "alive": proc.alive,
            "listening": port_open(proc.port) if proc.port else None,
            "log": proc.log,
        }
        for name, proc in info.processes.items()
    }
