"""The ``strikeouts`` command line: one typer app, commands grouped by concern in submodules."""

from __future__ import annotations

from strikeouts.cli import cloud as _cloud  # noqa: F401  (registers commands)
from strikeouts.cli import ingest as _ingest  # noqa: F401  (registers commands)
from strikeouts.cli import models as _models  # noqa: F401  (registers commands)
from strikeouts.cli import pipeline as _pipeline  # noqa: F401  (registers commands)
from strikeouts.cli.app import app


def main() -> None:
    """Console-script entry point."""
    app()


__all__ = ["app", "main"]
