"""Run bqemulator offline: its DuckDB ``spatial`` extension becomes optional.

bqemulator refuses to start when DuckDB cannot download ``spatial`` (no internet here).
Run as ``python -m strikeouts.devstack.emulators.bigquery start --rest-port N ...``, this module
patches that load, in this process only, into a local-only LOAD that may fail (only GEOGRAPHY is lost) and
then hands over to bqemulator's own CLI.
"""

from __future__ import annotations

import sys
from pathlib import Path

from strikeouts.devstack.emulators.process import HOST, ServerProcess, free_port, start_server

DEFAULT_PROJECT = "strikeouts-local"


def _optional_spatial() -> None:
    """Make bqemulator's ``spatial`` load local-only and non-fatal (no download attempt)."""
    from bqemulator.storage.engine import DuckDBEngine

    def load_if_installed(self: DuckDBEngine) -> None:
        try:
            self.connection.execute("LOAD spatial")
        except Exception as exc:  # any DuckDB error means: not installed locally
            print(f"bqemulator: spatial extension not available, GEOGRAPHY disabled ({exc})")

    DuckDBEngine._load_spatial = load_if_installed  # type: ignore[method-assign]


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
    """Patch the spatial load, then run bqemulator's CLI with this process's arguments."""
    _optional_spatial()
    from bqemulator.cli import main as bqemulator_cli

    bqemulator_cli(prog_name="bqemulator")


if __name__ == "__main__":
    main()
