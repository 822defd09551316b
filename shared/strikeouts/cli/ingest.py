"""``strikeouts ingest`` and ``strikeouts summary``: raw files into canonical warehouse tables."""

from __future__ import annotations

from strikeouts.cli.app import app


@app.command()
def summary() -> None:
    """Print what is in the warehouse (placeholder until ingestion lands)."""
    raise NotImplementedError
