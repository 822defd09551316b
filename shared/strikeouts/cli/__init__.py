"""The ``strikeouts`` command line: one typer app. A command group lives in the module named
after it (``models``, ``stack``, ``deploy``, ``fixtures``; ``recovery`` holds ``dead-letters``
and ``rejections``); top-level commands live in modules named for their concern
(``training``: train and backtest; ``pipeline``: run and replay; ``gameday`` ...)."""

from __future__ import annotations

import sys
from importlib import import_module

from strikeouts.cli.app import app, configure_logging

# Each module registers its commands on ``app``; this order is the order of ``--help``.
COMMAND_MODULES = (
    "ingest",
    "training",
    "models",
    "pipeline",
    "predict",
    "gameday",
    "fixtures",
    "recovery",
    "stack",
    "monitoring",
    "deploy",
    "deploy_gate",
)
for _name in COMMAND_MODULES:
    import_module(f"strikeouts.cli.{_name}")


def main() -> None:
    """Console-script entry point."""
    configure_logging(sys.argv[1:])
    app()


__all__ = ["app", "main"]
