"""The model store tests' backends (a local directory, fake-gcs-server), models and metadata."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xgboost as xgb

from strikeouts.adapters import open_model_store
from strikeouts.devstack.emulators import ServerProcess
from strikeouts.models.metadata import ModelMetadata
from strikeouts.models.store import ObjectModelStore
from strikeouts.settings import Settings

SYSTEM = "v1_baseline"
BUCKET = "strikeouts-models-test"
FEATURES = ["k_avg_last5", "opp_k_rate", "rest_days"]


@dataclass
class Backend:
    """How a test opens stores on one backend and edits objects behind the store's back."""

    name: str
    make: Callable[..., ObjectModelStore]
    tamper: Callable[[str, bytes], None]
    env: dict[str, str] = field(default_factory=dict)
    """The environment a CLI call needs to open this backend's store."""


@pytest.fixture(scope="module")
def training() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    x = rng.normal(size=(40, len(FEATURES)))
    y = np.clip(np.round(5 + 2 * x[:, 0] - x[:, 1] + rng.normal(size=40)), 0, None)
    return x, y


def _train(x: np.ndarray, y: np.ndarray, rounds: int) -> bytes:
    booster = xgb.train(
        {"objective": "count:poisson", "max_depth": 2, "eta": 0.3, "nthread": 1},
        xgb.DMatrix(x, label=y, feature_names=FEATURES),
        num_boost_round=rounds,
    )
    return bytes(booster.save_raw("ubj"))


@pytest.fixture(scope="module")
def artifacts(training: tuple[np.ndarray, np.ndarray]) -> list[bytes]:
    """Three real, different UBJ models."""
    x, y = training
    return [_train(x, y, rounds) for rounds in (3, 5, 8)]


def metadata_of(**overrides: Any) -> ModelMetadata:
    fields: dict[str, Any] = {
        "system_id": SYSTEM,
        "feature_set_version": "fs1",
        "feature_names": FEATURES,
        "train_start": date(2023, 4, 1),
        "train_end": date(2024, 9, 30),
        "n_train_rows": 40,
        "data_fingerprint": "0" * 64,
        "hyperparameters": {"max_depth": 2, "eta": 0.3},
        "distribution": {"count_model": "negbin", "dispersion": 0.12},
        "validation_metrics": {"mae": 1.7},
    }
    return ModelMetadata(**{**fields, **overrides})


@pytest.fixture(scope="session")
def gcs_bucket(gcs_emulator: ServerProcess) -> str:
    gcs_client(gcs_emulator.endpoint).create_bucket(BUCKET)
    return BUCKET


def gcs_client(endpoint: str) -> Any:
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    return storage.Client(
        project="test",
        credentials=AnonymousCredentials(),
        client_options={"api_endpoint": endpoint},
    )


@pytest.fixture(params=["local", "gcs"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param == "local":

        def make_local(**kwargs: Any) -> ObjectModelStore:
            return open_model_store(Settings(model_store=str(tmp_path / "models")), **kwargs)

        def tamper_local(key: str, data: bytes) -> None:
            (tmp_path / "models" / key).write_bytes(data)

        env = {"STRIKEOUTS_MODEL_STORE": str(tmp_path / "models")}
        yield Backend("local", make_local, tamper_local, env)
        return
    emulator: ServerProcess = request.getfixturevalue("gcs_emulator")
    bucket = request.getfixturevalue("gcs_bucket")
    prefix = f"t-{uuid.uuid4().hex[:8]}/models"

    def make_gcs(**kwargs: Any) -> ObjectModelStore:
        # A client per store: stores in different threads stand for different instances.
        return open_model_store(
            Settings(model_store=f"gs://{bucket}/{prefix}"),
            client=gcs_client(emulator.endpoint),
            **kwargs,
        )

    def tamper_gcs(key: str, data: bytes) -> None:
        client = gcs_client(emulator.endpoint)
        client.bucket(bucket).blob(f"{prefix}/{key}").upload_from_string(data)

    env = {
        "STRIKEOUTS_MODEL_STORE": f"gs://{bucket}/{prefix}",
        "STORAGE_EMULATOR_HOST": emulator.endpoint,
    }
    yield Backend("gcs", make_gcs, tamper_gcs, env)
