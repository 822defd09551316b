"""The ``strikeouts`` command line: one typer app, commands grouped by concern in submodules."""

from __future__ import annotations

from importlib import import_module

from strikeouts.cli.app import app

# Each module registers its commands on ``app``; this order is the order of ``--help``.
COMMAND_MODULES = (
    "ingest",
    "models",
    "promotion",
    "pipeline",
    "predict",
    "gameday",
    "recovery",
    "cloud",
    "monitoring",
    "deploy",
    "deploy_gate",
)
for _name in COMMAND_MODULES:
    import_module(f"strikeouts.cli.{_name}")


def main() -> None:
    """Console-script entry point."""
    app()


__all__ = ["app", "main"]
