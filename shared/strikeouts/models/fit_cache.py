"""Fitted systems kept on disk by everything their fit read, so the same fit is not run twice.

Invariant: an entry is returned only for the very inputs it was fitted from. Its key hashes the
system's spec (objective, hyper-parameters, seed), the feature names and set version,
``train_end``, the training rows as the fit reads them (every column it reads, in its order,
values and dtypes), xgboost's version and the source of the code that fits (training,
calibration, the count law). A fit is deterministic (one thread, a fixed seed), so a hit is
the booster a fresh fit would give, byte for byte. An entry that cannot be read is fitted again.
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import xgboost as xgb

from strikeouts import countlaw
from strikeouts.logs import get_logger
from strikeouts.models import calibration, training
from strikeouts.models.local_store import write_temp
from strikeouts.models.metadata import ModelMetadata
from strikeouts.models.refs import LoadedModel
from strikeouts.models.systems import SystemSpec
from strikeouts.models.training import (
    MARKET_P_OVER,
    OPEN_LINE,
    TARGET,
    TrainedSystem,
    fit_rows,
    fit_system,
    training_rows,
)

if TYPE_CHECKING:
    import pandas as pd

log = get_logger(__name__)

# bump when the entries' layout changes
FORMAT = 1
_FITTING_CODE = (training, calibration, countlaw)


def cached_fit(
    spec: SystemSpec,
    frame: pd.DataFrame,
    feature_names: list[str],
    feature_set_version: str,
    train_end: date,
    folder: Path | None,
) -> TrainedSystem:
    """:func:`~strikeouts.models.training.fit_system`, through the entries in ``folder`` (None:
    always fits)."""
    if folder is None:
        return fit_system(spec, frame, feature_names, feature_set_version, train_end)
    rows = training_rows(spec, frame, train_end)
    key = fit_key(spec, rows, feature_names, feature_set_version, train_end)
    found = _load(spec, folder, key)
    if found is not None:
        log.debug("fit loaded", system_id=spec.system_id, train_end=str(train_end), key=key)
        return found
    model = fit_rows(spec, rows, feature_names, feature_set_version, train_end)
    _save(folder, key, model)
    return model


def fit_key(
    spec: SystemSpec,
    rows: pd.DataFrame,
    feature_names: list[str],
    feature_set_version: str,
    train_end: date,
) -> str:
    """sha256 of every input of a fit (see the module's invariant)."""
    from pandas.util import hash_pandas_object

    read = ("game_date", TARGET, *feature_names, OPEN_LINE, MARKET_P_OVER)
    columns = list(dict.fromkeys(c for c in read if c in rows.columns))
    table = rows[columns]
    digest = hashlib.sha256()
    header = {
        "format": FORMAT,
        "spec": repr(spec),
        "features": list(feature_names),
        "feature_set_version": feature_set_version,
        "train_end": train_end.isoformat(),
        "xgboost": xgb.__version__,
        "columns": [[c, str(table[c].dtype)] for c in columns],
        "rows": len(table),
    }
    digest.update(json.dumps(header, sort_keys=True).encode())
    for module in _FITTING_CODE:
        digest.update(Path(str(module.__file__)).read_bytes())
    digest.update(hash_pandas_object(table, index=False).to_numpy().tobytes())
    return digest.hexdigest()


def _load(spec: SystemSpec, folder: Path, key: str) -> TrainedSystem | None:
    artifact, meta = folder / f"{key}.ubj", folder / f"{key}.json"
    try:
        metadata = ModelMetadata.model_validate_json(meta.read_bytes())
        loaded = LoadedModel(artifact=artifact.read_bytes(), metadata=metadata, version="")
        return TrainedSystem.from_loaded(spec, loaded)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:  # a torn or foreign entry: fit again, overwrite it
        log.warning("fit cache entry unreadable", key=key, error=str(exc))
        return None


def _save(folder: Path, key: str, model: TrainedSystem) -> None:
    """Artifact first, metadata last, each renamed into place: a reader that finds the
    metadata finds the whole artifact (concurrent writers of one key write the same bytes)."""
    artifact, meta = folder / f"{key}.ubj", folder / f"{key}.json"
    os.replace(write_temp(artifact, model.artifact()), artifact)
    os.replace(write_temp(meta, model.metadata.model_dump_json().encode()), meta)
