"""Launchers for local Google Cloud emulators, each a server subprocess on 127.0.0.1.

Every server runs in its own process group on a free port and is stopped by that group's
id, so nothing started here outlives its owner.
"""

from strikeouts.devstack.emulators.process import (
    EmulatorError,
    ServerProcess,
    free_port,
    start_server,
)

__all__ = ["EmulatorError", "ServerProcess", "free_port", "start_server"]
