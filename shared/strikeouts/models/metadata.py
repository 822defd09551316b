"""What a stored model says about itself: enough to reproduce, audit and verify it.

A model's metadata is written once, with the artifact's sha256, and never changed; the store
checks the artifact against that digest on every load.
"""

from __future__ import annotations

import hashlib
import platform
from datetime import UTC, date, datetime
from importlib import metadata as importlib_metadata
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

if TYPE_CHECKING:
    # only training fingerprints a frame: serving reads metadata without importing pandas
    import pandas as pd

METADATA_SCHEMA_VERSION = 1
_LIBRARIES = {
    "xgboost": ("xgboost-cpu", "xgboost"),
    "numpy": ("numpy",),
    "pandas": ("pandas",),
    "scipy": ("scipy",),
    "strikeouts": ("strikeouts",),
}


class ModelMetadata(BaseModel):
    """Everything recorded next to one model artifact."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: int = METADATA_SCHEMA_VERSION
    system_id: str
    version: str = ""
    """Assigned by the store on save (``v0001``, ``v0002`` ...); empty before that."""
    feature_set_version: str
    feature_names: list[str]
    train_start: date
    train_end: date
    n_train_rows: int = Field(ge=0)
    data_fingerprint: str
    """:func:`fingerprint` of the training frame."""
    hyperparameters: dict[str, Any] = Field(default_factory=dict)
    distribution: dict[str, Any] = Field(default_factory=dict)
    """How to turn the model output into probabilities, e.g. ``{"count_model": "negbin", "dispersion": 0.12}``."""
    validation_metrics: dict[str, Any] = Field(default_factory=dict)
    library_versions: dict[str, str] = Field(default_factory=lambda: library_versions())
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    artifact_format: str = "ubj"
    artifact_sha256: str = ""
    """Assigned by the store on save; checked on every load."""
    artifact_bytes: int = 0

    @model_validator(mode="after")
    def _window_is_ordered(self) -> ModelMetadata:
        if self.train_start > self.train_end:
            raise ValueError(f"train_start {self.train_start} is after train_end {self.train_end}")
        if len(set(self.feature_names)) != len(self.feature_names):
            raise ValueError(f"feature_names has duplicates: {self.feature_names}")
        return self


def library_versions() -> dict[str, str]:
    """Installed versions of the libraries a model's behaviour depends on, plus Python's."""
    found = {"python": platform.python_version()}
    for name, distributions in _LIBRARIES.items():
        for dist in distributions:
            try:
                found[name] = importlib_metadata.version(dist)
                break
            except importlib_metadata.PackageNotFoundError:
                continue
    return found


def fingerprint(frame: pd.DataFrame) -> str:
    """sha256 of a frame's content, independent of row and column order.

    Each row is hashed (pandas' ``hash_pandas_object`` over the columns in name order, index
    ignored); the row hashes are sorted, so reordering rows or columns keeps the fingerprint
    while any changed value, dtype, column name or duplicated/dropped row changes it. The row
    hash is pandas' own, so compare fingerprints made with the same pandas major version.
    """
    from pandas.util import hash_pandas_object

    columns = sorted(map(str, frame.columns))
    if len(set(columns)) != len(columns):
        raise ValueError(f"cannot fingerprint a frame with duplicate column names: {columns}")
    ordered = frame.set_axis(list(map(str, frame.columns)), axis=1)[columns]
    rows = hash_pandas_object(ordered, index=False).to_numpy(dtype=np.uint64)
    digest = hashlib.sha256()
    for name in columns:
        digest.update(f"{name}:{ordered[name].dtype}\n".encode())
    digest.update(np.sort(rows).tobytes())
    return digest.hexdigest()
