"""Start a server subprocess on 127.0.0.1 in its own process group; stop it by that group.

A :class:`ServerProcess` is only handed out once its port accepts connections (within a
bounded wait); otherwise the process group is killed and :class:`EmulatorError` carries
the tail of the server's log.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from strikeouts.errors import StrikeoutsError

HOST = "127.0.0.1"
LOG_TAIL_CHARS = 4000


class EmulatorError(StrikeoutsError, RuntimeError):
    """A local emulator could not be started."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def port_open(port: int, host: str = HOST) -> bool:
    """Whether something accepts TCP connections on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=0.2):
            return True
    except OSError:
        return False


@dataclass
class ServerProcess:
    """A running server: its process, port and log file."""

    name: str
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path
    started_in: float = field(default=0.0)

    @property
    def endpoint(self) -> str:
        return f"http://{HOST}:{self.port}"

    def log_tail(self, chars: int = LOG_TAIL_CHARS) -> str:
        """The last ``chars`` characters of the server's stdout+stderr."""
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def stop(self, timeout: float = 5.0) -> None:
        """SIGTERM the process group, then SIGKILL it if it is still there after ``timeout``."""
        if self.process.poll() is not None:
            return
        pgid = self.process.pid  # start_new_session makes the pid the group id
        try:
            os.killpg(pgid, signal.SIGTERM)
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(pgid, signal.SIGKILL)
            self.process.wait(timeout=timeout)
        except ProcessLookupError:
            pass


# The local servers keep their compiled bytecode as any Python does by default: where the
# environment forbids it (PYTHONDONTWRITEBYTECODE, as many container images set), every start of
# a function or of bqemulator compiled all it imports again (about 1 s of CPU for a function).
CACHE_BYTECODE = {"PYTHONDONTWRITEBYTECODE": ""}


def start_server(
    name: str,
    argv: Sequence[str],
    port: int,
    log_path: Path,
    env: Mapping[str, str] | None = None,
    timeout: float = 30.0,
    *,
    append: bool = False,
) -> ServerProcess:
    """Run ``argv`` in a new process group and wait (at most ``timeout`` s) for ``port``;
    its output goes to ``log_path``, after what is there with ``append``."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with log_path.open("ab" if append else "wb") as log:
        process = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **CACHE_BYTECODE, **(env or {})},
            start_new_session=True,
        )
    server = ServerProcess(name=name, process=process, port=port, log_path=log_path)
    deadline = started + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise EmulatorError(
                f"{name} exited with code {process.returncode} before listening on port "
                f"{port}; log {log_path}:\n{server.log_tail()}"
            )
        if port_open(port):
            server.started_in = time.monotonic() - started
            return server
        time.sleep(0.05)
    server.stop()
    raise EmulatorError(
        f"{name} did not listen on port {port} within {timeout:.0f} s; "
        f"log {log_path}:\n{server.log_tail()}"
    )
