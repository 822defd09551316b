"""Probes of a running local stack, for ``stack_replay.py``: samples of real messages, the cold
start of each function on a quiet stack, and the transport baseline (a do-nothing function
behind the same Pub/Sub emulator).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from google.api_core.retry import Retry
from google.cloud.pubsub_v1 import PublisherClient, SubscriberClient

from strikeouts.cloud.functions import function_names, system_functions
from strikeouts.cloud.publish import tick_message
from strikeouts.devstack.emulators.process import HOST, free_port, start_server
from strikeouts.devstack.push import push_body, push_headers
from strikeouts.devstack.stack import StackInfo
from strikeouts.devstack.stack_control import restart_function
from strikeouts.pipeline.messages import encode
from strikeouts.settings import Settings

ADMIN_RETRY = Retry(initial=0.1, maximum=1.0, timeout=30.0)
REQUEST_TIMEOUT = 120.0
NOOP_SOURCE = Path(__file__).parent / "noop_function" / "main.py"
CLOCK_TICK = os.sysconf("SC_CLK_TCK")
# what each function consumes, in the order the cold starts are measured: fanout last, since
# its first request publishes a date's pitcher-games into the stack
CONSUMES = {
    **dict.fromkeys(system_functions(), "pitcher_games"),
    "ensemble": "system_predictions",
    "ensemble_tick": "ensemble_ticks",
    "fanout": "game_schedule",
}
assert set(CONSUMES) == set(function_names())


@dataclass(frozen=True)
class Sample:
    """One real message as a push delivers it."""

    topic: str
    data: bytes
    attributes: dict[str, str]


def cpu_seconds_by_group() -> dict[int, float]:
    """CPU seconds (user + system) of every live process, summed per process group."""
    totals: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # after the command: state ppid pgrp ... utime(12) stime(13)
        group = int(fields[2])
        totals[group] = totals.get(group, 0.0) + (int(fields[11]) + int(fields[12])) / CLOCK_TICK
    return totals


def sample_subscription(info: StackInfo, topic: str) -> str:
    """The pull subscription that keeps real messages of ``topic`` for the probes."""
    return f"projects/{info.project}/subscriptions/bench-sample--{topic}"


def sample_subscriptions(info: StackInfo, settings: Settings, topics: list[str]) -> None:
    """A sample subscription on each topic setting (create it before publishing)."""
    os.environ["PUBSUB_EMULATOR_HOST"] = info.pubsub_host
    subscriber = SubscriberClient()
    for attr in topics:
        topic = getattr(settings.topics, attr)
        subscriber.create_subscription(
            request={
                "name": sample_subscription(info, topic),
                "topic": f"projects/{info.project}/topics/{topic}",
            },
            retry=ADMIN_RETRY,
        )


def pull_sample(info: StackInfo, topic: str) -> Sample:
    """One real message of ``topic`` from its sample subscription."""
    os.environ["PUBSUB_EMULATOR_HOST"] = info.pubsub_host
    subscriber = SubscriberClient()
    subscription = sample_subscription(info, topic)
    response = subscriber.pull(
        request={"subscription": subscription, "max_messages": 1}, retry=ADMIN_RETRY, timeout=30
    )
    if not response.received_messages:
        raise RuntimeError(f"no message kept on {subscription}")
    message = response.received_messages[0].message
    return Sample(topic, bytes(message.data), dict(message.attributes))


def tick_sample(settings: Settings) -> Sample:
    """An ensemble tick as the scheduler publishes it."""
    tick = tick_message(dt.datetime.now(dt.UTC))
    return Sample(settings.topics.ensemble_ticks, encode("ensemble-tick", tick), {})


def schedule_sample(settings: Settings, event: dict[str, Any]) -> Sample:
    """A game-schedule event as a push delivers it."""
    return Sample(
        settings.topics.game_schedule, encode("game-schedule", event), {"run_id": event["run_id"]}
    )


def post(info: StackInfo, port: int, sample: Sample) -> float:
    """POST ``sample`` to a function as its push would; seconds until the response."""
    body = push_body(sample.data, sample.attributes)
    url = f"http://{HOST}:{port}/projects/{info.project}/topics/{sample.topic}"
    started = time.perf_counter()
    response = requests.post(
        url,
        headers=push_headers(sample.topic, body["message"]["messageId"], info.project),
        data=json.dumps(body),
        timeout=REQUEST_TIMEOUT,
    )
    elapsed = time.perf_counter() - started
    if response.status_code >= 300:
        raise RuntimeError(f"{url} answered {response.status_code}: {response.text[:500]}")
    return elapsed


@dataclass(frozen=True)
class ColdStart:
    """Medians over the runs: process start to listening, first and warm request."""

    start: float
    first: float
    warm: float

    @property
    def total(self) -> float:
        return self.start + self.first


NO_FAULTS = {"STRIKEOUTS_FAULT_FAIL_RATE": "0", "STRIKEOUTS_FAULT_DUPLICATE_RATE": "0"}


def cold_starts(
    info: StackInfo, settings: Settings, samples: dict[str, Sample], runs: int
) -> dict[str, ColdStart]:
    """Per function: restart it (no faults injected), POST its first then a warm request."""
    out = {}
    for name in CONSUMES:
        starts, firsts, warms = [], [], []
        for _ in range(runs):
            # a restart keeps the stack's function environment: switch its faults off
            proc = restart_function(settings, name, NO_FAULTS)
            starts.append(proc.started_in)
            firsts.append(post(info, proc.port, samples[name]))
            warms.append(post(info, proc.port, samples[name]))
        out[name] = ColdStart(
            statistics.median(starts), statistics.median(firsts), statistics.median(warms)
        )
    return out


def noop_argv(port: int) -> list[str]:
    """functions-framework serving the do-nothing function, as the stack serves its own."""
    return [
        str(Path(sys.executable).parent / "functions-framework"),
        "--target=noop",
        f"--source={NOOP_SOURCE}",
        "--signature-type=cloudevent",
        f"--host={HOST}",
        f"--port={port}",
    ]


def noop_cold_start(info: StackInfo, log_dir: Path, sample: Sample, runs: int) -> ColdStart:
    """The do-nothing function's cold start, measured as :func:`cold_starts` measures the
    stack's: a new process to listening, its first request, then a warm one."""
    starts, firsts, warms = [], [], []
    for _ in range(runs):
        port = free_port()
        server = start_server("noop", noop_argv(port), port, log_dir / "noop.log", timeout=60.0)
        try:
            starts.append(server.started_in)
            firsts.append(post(info, port, sample))
            warms.append(post(info, port, sample))
        finally:
            server.stop()
    return ColdStart(statistics.median(starts), statistics.median(firsts), statistics.median(warms))


@dataclass(frozen=True)
class Transport:
    """The do-nothing function's figures behind the same emulator, over several batches."""

    rates: list[float]
    deliveries: int
    emulator_cpu: float
    function_cpu: float

    @property
    def rate(self) -> float:
        """Median deliveries/s of the batches."""
        return statistics.median(self.rates)

    @property
    def cpu_ms_per_delivery(self) -> float:
        return 1000 * (self.emulator_cpu + self.function_cpu) / self.deliveries


def transport_baseline(
    info: StackInfo, log_dir: Path, count: int, size: int, runs: int, timeout: float = 300.0
) -> Transport:
    """Push ``runs`` batches of ``count`` messages of ``size`` bytes through one push
    subscription to a do-nothing function."""
    port = free_port()
    log = log_dir / "noop.log"
    server = start_server("noop", noop_argv(port), port, log, timeout=60.0)
    try:
        os.environ["PUBSUB_EMULATOR_HOST"] = info.pubsub_host
        publisher, subscriber = PublisherClient(), SubscriberClient()
        topic = publisher.topic_path(info.project, "bench-noop")
        publisher.create_topic(name=topic, retry=ADMIN_RETRY)
        subscriber.create_subscription(
            request={
                "name": subscriber.subscription_path(info.project, "bench-noop--noop"),
                "topic": topic,
                "push_config": {"push_endpoint": f"http://{HOST}:{port}/"},
                "ack_deadline_seconds": 60,
            },
            retry=ADMIN_RETRY,
        )
        emulator, pid = info.processes["pubsub-emulator"].pid, server.process.pid
        before = cpu_seconds_by_group()
        rates = []
        for run in range(1, runs + 1):
            started = time.perf_counter()
            for future in [publisher.publish(topic, b"x" * size) for _ in range(count)]:
                future.result()
            got = wait_for_count(lambda: log.read_text().count("delivered\n"), run * count, timeout)
            if got < run * count:
                raise RuntimeError(f"transport baseline: {got} of {run * count} delivered")
            rates.append(count / (time.perf_counter() - started))
        after = cpu_seconds_by_group()
        return Transport(
            rates,
            runs * count,
            after.get(emulator, 0.0) - before.get(emulator, 0.0),
            after.get(pid, 0.0) - before.get(pid, 0.0),
        )
    finally:
        server.stop()


def wait_for_count(count_now: Callable[[], int], target: int, timeout: float) -> int:
    """Poll ``count_now`` until it reaches ``target`` or ``timeout`` seconds pass."""
    deadline = time.perf_counter() + timeout
    seen = count_now()
    while seen < target and time.perf_counter() < deadline:
        time.sleep(0.05)
        seen = count_now()
    return seen
