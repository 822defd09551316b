"""The local stack: the official Pub/Sub emulator, bqemulator, fake-gcs-server and the event
functions under functions-framework (fanout, one per registered system, the ensemble and its
tick), wired like the cloud deployment, all on 127.0.0.1.

Invariants:

- every process runs in its own process group, recorded (pid = pgid, port, log) in
  ``state_dir/stack.json`` before ``up`` returns; ``down`` stops exactly those groups;
- topics and push subscriptions mirror ``infra/`` (one subscription per consuming function,
  a fresh set per ``up``); the dead-letter and predictions-complete topics have a pull
  subscription to inspect;
- the fanout reads a snapshot of the feature warehouse taken by ``up`` (never the user's file,
  which stays writable for ``run`` and ``ingest``);
- functions get their configuration only through the environment (``STRIKEOUTS_*`` and the
  official ``*_EMULATOR_HOST`` variables), exactly as a deployed function would.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from strikeouts.cloud.functions import function_names
from strikeouts.devstack.emulators.bigquery import start_bigquery_emulator
from strikeouts.devstack.emulators.gcs import start_gcs_emulator
from strikeouts.devstack.emulators.process import HOST, port_open
from strikeouts.devstack.emulators.pubsub import start_pubsub_emulator
from strikeouts.devstack.packaging import compile_bytecode
from strikeouts.devstack.stack_control import (
    ADMIN_TIMEOUT_SECONDS,
    record,
    start_function,
    stop_process,
)
from strikeouts.devstack.stack_info import (
    GAMEDAY_ROUTES,
    StackError,
    StackInfo,
    StackProcess,
    push_subscriptions,
    stack_file,
)
from strikeouts.logs import get_logger
from strikeouts.names import DEAD_LETTER_SUBSCRIPTION
from strikeouts.settings import Settings

__all__ = [
    "StackError",
    "StackInfo",
    "snapshot_warehouse",
    "stack_down",
    "stack_file",
    "stack_status",
    "stack_up",
]

log = get_logger(__name__)

DATASET = "strikeouts"
BUCKET = "strikeouts-local"
ACK_DEADLINE_SECONDS = 60

TOPIC_SETTINGS = (
    "game_schedule",
    "pitcher_games",
    "system_predictions",
    "ensemble_ticks",
    "dead_letter",
    "predictions_complete",
)

Progress = Callable[[str], None]


def _create_pubsub(info: StackInfo, settings: Settings) -> None:
    from google.api_core.retry import Retry
    from google.cloud.pubsub_v1 import PublisherClient, SubscriberClient

    os.environ["PUBSUB_EMULATOR_HOST"] = info.pubsub_host
    retry = Retry(initial=0.1, maximum=1.0, timeout=ADMIN_TIMEOUT_SECONDS)
    publisher = PublisherClient()
    subscriber = SubscriberClient()
    try:
        gameday = [attr for name, attr in GAMEDAY_ROUTES if name in info.processes]
        for attr in (*TOPIC_SETTINGS, *gameday):
            topic = publisher.topic_path(info.project, getattr(settings.topics, attr))
            publisher.create_topic(name=topic, retry=retry, timeout=ADMIN_TIMEOUT_SECONDS)
        for route in push_subscriptions(info, settings):
            subscriber.create_subscription(
                request={
                    "name": route.subscription,
                    "topic": route.topic,
                    "push_config": {"push_endpoint": route.endpoint},
                    "ack_deadline_seconds": ACK_DEADLINE_SECONDS,
                },
                retry=retry,
                timeout=ADMIN_TIMEOUT_SECONDS,
            )
        subscriber.create_subscription(
            request={
                "name": subscriber.subscription_path(info.project, DEAD_LETTER_SUBSCRIPTION),
                "topic": publisher.topic_path(info.project, settings.topics.dead_letter),
                "ack_deadline_seconds": ACK_DEADLINE_SECONDS,
            },
            retry=retry,
            timeout=ADMIN_TIMEOUT_SECONDS,
        )
        # what an operator (and the stack tests) read the announced completions from
        subscriber.create_subscription(
            request={
                "name": subscriber.subscription_path(
                    info.project, settings.topics.completion_subscription
                ),
                "topic": publisher.topic_path(info.project, settings.topics.predictions_complete),
                "ack_deadline_seconds": ACK_DEADLINE_SECONDS,
            },
            retry=retry,
            timeout=ADMIN_TIMEOUT_SECONDS,
        )
    finally:
        subscriber.close()


def _create_warehouse(info: StackInfo) -> None:
    """The dataset as Terraform makes it (``cloud.dataset``), and the scratch dataset."""
    from google.cloud import bigquery

    from strikeouts.cloud.bigquery_warehouse import BigQueryWarehouse
    from strikeouts.cloud.dataset import create_like_terraform

    warehouse = BigQueryWarehouse(
        project=info.project, dataset=info.dataset, endpoint=info.bigquery_endpoint, timeout=30.0
    )
    try:
        create_like_terraform(warehouse)
        scratch = bigquery.Dataset(f"{info.project}.{info.scratch_dataset}")
        warehouse.client.create_dataset(scratch, exists_ok=True, timeout=30.0)
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
        pubsub = record(start_pubsub_emulator(log_dir, state / "pubsub" if persist else None))
        started.append(pubsub)
        bigquery = record(
            start_bigquery_emulator(log_dir, data_dir=state / "bigquery" if persist else None)
        )
        started.append(bigquery)
        gcs = record(start_gcs_emulator(log_dir, state / "gcs" if persist else None))
        started.append(gcs)
        say("taking a snapshot of the feature warehouse for the fanout")
        snapshot = snapshot_warehouse(Path(feature_warehouse), state / "features.duckdb")
        info = StackInfo(
            project=settings.stack.gcp_project,
            pubsub_host=f"{HOST}:{pubsub.port}",
            bigquery_endpoint=f"http://{HOST}:{bigquery.port}",
            storage_host=f"http://{HOST}:{gcs.port}",
            dataset=DATASET,
            bucket=BUCKET,
            feature_warehouse=str(snapshot.resolve()),
            processes={p.name: p for p in started},
            started_at=dt.datetime.now(dt.UTC).isoformat(),
            function_env=dict(function_env or {}),
        )
        info.save(path)
        say("creating the BigQuery dataset and tables")
        _create_warehouse(info)
        say(f"ensuring champion models in {info.model_store}")
        _create_bucket_and_models(info, settings, train_end, progress)
        names = function_names()  # the registry's systems as of this `up`
        compile_bytecode()  # before any instance starts: they load it instead of compiling
        say(f"starting the {len(names)} event functions")
        for name in names:
            proc = start_function(info, name, log_dir / f"{name}.log", function_env or {})
            info.processes[name] = proc
            started.append(proc)
            info.save(path)
        if gameday_env is not None:
            say("starting the game-day functions")
            for name, _ in GAMEDAY_ROUTES:
                env = {**(function_env or {}), **gameday_env}
                proc = start_function(info, name, log_dir / f"{name}.log", env)
                info.processes[name] = proc
                started.append(proc)
                info.save(path)
        say("creating topics and push subscriptions")
        _create_pubsub(info, settings)
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
            [sys.executable, "-m", "strikeouts.devstack.ticker", f"--interval={interval}"],
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
    info = StackInfo.recorded(settings)
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
