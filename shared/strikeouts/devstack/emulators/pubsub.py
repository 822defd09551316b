"""Run the official Pub/Sub emulator (from the Cloud SDK in the machine image) on 127.0.0.1.

The ``cloud-pubsub-emulator`` launcher is started directly in its own process group (not
through ``gcloud``, which would leave the emulator's java child behind on stop), so stopping
the :class:`ServerProcess` stops the JVM too.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from strikeouts.devstack.emulators.process import (
    HOST,
    EmulatorError,
    ServerProcess,
    free_port,
    start_server,
)

SDK_LAUNCHERS = (
    Path("/usr/lib/google-cloud-sdk/platform/pubsub-emulator/bin/cloud-pubsub-emulator"),
    Path("/usr/share/google-cloud-sdk/platform/pubsub-emulator/bin/cloud-pubsub-emulator"),
)


def emulator_launcher() -> Path:
    """The ``cloud-pubsub-emulator`` launcher; EmulatorError naming where it was looked for."""
    for path in SDK_LAUNCHERS:
        if path.is_file():
            return path
    gcloud = shutil.which("gcloud")
    if gcloud:
        sdk = Path(gcloud).resolve().parents[1]
        candidate = sdk / "platform" / "pubsub-emulator" / "bin" / "cloud-pubsub-emulator"
        if candidate.is_file():
            return candidate
    raise EmulatorError(
        "the Pub/Sub emulator is not installed: looked for cloud-pubsub-emulator in "
        f"{', '.join(str(p) for p in SDK_LAUNCHERS)} and next to gcloud "
        "(install google-cloud-cli-pubsub-emulator)"
    )


def start_pubsub_emulator(
    log_dir: Path, data_dir: Path | None = None, timeout: float = 60.0
) -> ServerProcess:
    """Start the emulator on a free 127.0.0.1 port; ``PUBSUB_EMULATOR_HOST`` = ``HOST:port``."""
    launcher = emulator_launcher()
    port = free_port()
    argv = [str(launcher), f"--host={HOST}", f"--port={port}"]
    if data_dir is not None:
        data_dir.mkdir(parents=True, exist_ok=True)
        argv.append(f"--dir={data_dir}")
    return start_server("pubsub-emulator", argv, port, log_dir / "pubsub.log", timeout=timeout)


def emulator_host(server: ServerProcess) -> str:
    """The ``HOST:PORT`` the Pub/Sub clients expect in ``PUBSUB_EMULATOR_HOST``."""
    return f"{HOST}:{server.port}"
