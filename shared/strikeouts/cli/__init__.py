"""The ``strikeouts`` command line: one typer app; a command group lives in the module named
after it (``models``, ``deploy``, ``fixtures``), top-level commands in modules named for their
concern (``training``: train and backtest; ``gameday``; ``recovery``: dead letters, rejections)."""

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
    "cloud",
    "monitoring",
    "deploy",
)
for _name in COMMAND_MODULES:
    import_module(f"strikeouts.cli.{_name}")


def main() -> None:
    """Console-script entry point."""
    configure_logging(sys.argv[1:])
    app()


__all__ = ["app", "main"]
