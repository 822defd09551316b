"""The one settings object: every option falls back to a ``STRIKEOUTS_*`` environment variable."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SCHEMAS_DIR = PROJECT_ROOT / "schemas"


class Settings(BaseSettings):
    """Configuration for the CLI, the functions and the tests."""

    model_config = SettingsConfigDict(env_prefix="STRIKEOUTS_", extra="ignore")

    data_dir: Path = Field(default=Path("data"))
    """Folder holding the raw public data (retrosheet/, statcast/, lines/, register/ ...)."""

    warehouse: str = Field(default=".strikeouts/warehouse.duckdb")
    """DuckDB file path (embedded default) or ``bigquery://PROJECT/DATASET``."""

    bigquery_endpoint: str | None = None
    """API endpoint for BigQuery (an emulator such as ``http://127.0.0.1:9050``); None = Google."""

    model_store: str = Field(default=".strikeouts/models")
    """Local directory or ``gs://BUCKET/PREFIX`` for model artifacts and aliases."""

    state_dir: Path = Field(default=Path(".strikeouts"))
    """Where local runtime state (aggregation state, stack endpoints) lives."""

    log_format: Literal["json", "console"] = "console"
    """``json`` emits one Cloud-Logging-compatible object per line."""


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings read once from the environment (tests call ``get_settings.cache_clear()``)."""
    return Settings()
