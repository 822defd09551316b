"""Server subprocesses start on 127.0.0.1, report failures with their log, and stop by group."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from strikeouts.devstack.emulators import EmulatorError, free_port, start_server
from strikeouts.devstack.emulators.process import port_open


def _alive(pid: int) -> bool:
    try:
        os.killpg(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_server_is_handed_out_listening_and_stopped_with_its_group(tmp_path: Path) -> None:
    port = free_port()
    argv = [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"]
    server = start_server("http", argv, port, tmp_path / "http.log", timeout=20)
    assert port_open(port)
    assert server.endpoint == f"http://127.0.0.1:{port}"
    assert os.getpgid(server.process.pid) == server.process.pid  # its own group
    server.stop()
    assert server.process.poll() is not None
    assert not _alive(server.process.pid)
    assert not port_open(port)


def test_a_server_that_exits_early_fails_with_its_log(tmp_path: Path) -> None:
    argv = [sys.executable, "-c", "import sys; print('no extension here'); sys.exit(3)"]
    with pytest.raises(EmulatorError, match=r"(?s)exited with code 3.*no extension here"):
        start_server("broken", argv, free_port(), tmp_path / "broken.log", timeout=20)


def test_a_server_that_never_listens_is_killed_after_the_timeout(tmp_path: Path) -> None:
    argv = [sys.executable, "-c", "import time; print('starting', flush=True); time.sleep(60)"]
    port = free_port()
    with pytest.raises(EmulatorError, match=rf"(?s)did not listen on port {port}.*starting"):
        start_server("silent", argv, port, tmp_path / "silent.log", timeout=1)
