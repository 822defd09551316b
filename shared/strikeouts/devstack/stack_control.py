"""Control of a running local stack's processes: start, stop, crash and replace functions, and
stop or resume the Pub/Sub emulator's pushes (fault drills for tests and benchmarks).

Invariant: only process groups recorded in ``stack.json`` are signalled, and every wait is
bounded; a replaced function comes back on the same port, so its push subscription reaches
it again without being rewired.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from strikeouts.cloud.functions import function_environment, function_folder
from strikeouts.devstack.emulators.process import HOST, ServerProcess, free_port, start_server
from strikeouts.devstack.packaging import source_hash
from strikeouts.devstack.stack_info import StackInfo, StackProcess, push_subscriptions, stack_file
from strikeouts.settings import PROJECT_ROOT, Settings

ADMIN_TIMEOUT_SECONDS = 30.0


def record(server: ServerProcess) -> StackProcess:
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


def kill_process(proc: StackProcess, timeout: float = 5.0) -> None:
    """SIGKILL the process group at once, as a crashed instance (bounded wait until gone)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        return
    deadline = time.monotonic() + timeout
    while proc.alive and time.monotonic() < deadline:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(proc.pid, os.WNOHANG)
        time.sleep(0.05)


def _function_argv(name: str, port: int) -> list[str]:
    exe = Path(sys.executable).parent / "functions-framework"
    folder = function_folder(name)  # a system function runs the one predict_system entry
    return [
        str(exe),
        f"--target={folder}",
        f"--source={PROJECT_ROOT / 'functions' / folder / 'main.py'}",
        "--signature-type=cloudevent",
        f"--host={HOST}",
        f"--port={port}",
    ]


def start_function(
    info: StackInfo,
    name: str,
    log: Path,
    extra_env: Mapping[str, str],
    port: int | None = None,
    *,
    keep_log: bool = False,
) -> StackProcess:
    """Start one function under functions-framework (on ``port`` or a free one); its log
    continues ``log`` with ``keep_log``, else starts it anew."""
    port = port or free_port()
    env = {**info.environment(), **function_environment(name), **extra_env}
    argv = _function_argv(name, port)
    source = source_hash(name)  # before the start: what the process loads is this tree
    server = start_server(name, argv, port, log, env=env, timeout=60.0, append=keep_log)
    return replace(record(server), source=source)


def restart_function(
    settings: Settings,
    name: str,
    extra_env: Mapping[str, str] | None = None,
    *,
    kill: bool = False,
    keep_log: bool = False,
) -> StackProcess:
    """Stop ``name`` and start it again on the same port (a replaced instance): gracefully
    (SIGTERM: it flushes what it holds), or with ``kill`` as a crash (SIGKILL: it loses it).
    ``extra_env`` is the new instance's only addition to the stack's environment."""
    path = stack_file(settings)
    info = StackInfo.load(path)
    old = info.processes[name]
    if kill:
        kill_process(old)
    else:
        stop_process(old)
    info.processes[name] = start_function(
        info, name, Path(old.log), extra_env or {}, old.port, keep_log=keep_log
    )
    info.save(path)
    return info.processes[name]


def stop_function(settings: Settings, name: str) -> None:
    """Stop one function (its push subscription then fails and is retried by Pub/Sub)."""
    info = StackInfo.recorded(settings)
    stop_process(info.processes[name])


def set_pushes(settings: Settings, *, paused: bool) -> int:
    """Stop (``paused``) or resume every push subscription of the stack; returns how many.

    A paused subscription keeps its messages (it is a pull subscription nobody pulls); on
    resume the emulator pushes the backlog, as Pub/Sub does after an endpoint outage.
    """
    from google.api_core.retry import Retry
    from google.cloud.pubsub_v1 import SubscriberClient

    info = StackInfo.recorded(settings)
    os.environ["PUBSUB_EMULATOR_HOST"] = info.pubsub_host
    retry = Retry(initial=0.1, maximum=1.0, timeout=ADMIN_TIMEOUT_SECONDS)
    subscriber = SubscriberClient()
    try:
        routes = push_subscriptions(info, info.settings(settings))
        for route in routes:
            config = {} if paused else {"push_endpoint": route.endpoint}
            subscriber.modify_push_config(
                request={"subscription": route.subscription, "push_config": config},
                retry=retry,
                timeout=ADMIN_TIMEOUT_SECONDS,
            )
    finally:
        subscriber.close()
    return len(routes)
