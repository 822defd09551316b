"""Shared fixtures: the real data directory and one ingested warehouse per test session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from strikeouts.settings import get_settings

ROOT = Path(__file__).resolve().parents[1]


def _data_dir() -> Path:
    env = os.environ.get("STRIKEOUTS_DATA_DIR")
    return Path(env) if env else ROOT.parent / "shared" / "data"


def require_data() -> Path:
    """The real data directory; in CI its absence fails the test, elsewhere it skips."""
    path = _data_dir()
    if not (path / "retrosheet").is_dir():
        message = f"real data not found at {path} (set STRIKEOUTS_DATA_DIR)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return require_data()


@pytest.fixture(autouse=True)
def _fresh_settings() -> Iterator[None]:
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()
