"""The fit cache on real starts: a hit is the booster a fresh fit gives, any input the fit reads
changes the key, a row it does not read does not, and an unreadable entry is fitted again."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from strikeouts.features.catalog import feature_set
from strikeouts.models import fit_cache, service
from strikeouts.models.fit_cache import cached_fit, fit_key
from strikeouts.models.systems import get_system
from strikeouts.models.training import TrainedSystem, training_rows
from strikeouts.warehouse.base import Warehouse

pytestmark = pytest.mark.data

# a short first window (April-May 2021): a fit of about a second
TRAIN_END = dt.date(2021, 6, 1)
SPEC = get_system("v1_baseline")
FEATURES = feature_set(SPEC.feature_set)


@pytest.fixture(scope="module")
def frame(ingested: Warehouse) -> pd.DataFrame:
    # a month past TRAIN_END too: rows the fit must not read
    return service.training_frame(ingested, TRAIN_END + dt.timedelta(days=30))


def _fit(frame: pd.DataFrame, folder: Path | None) -> TrainedSystem:
    return cached_fit(SPEC, frame, list(FEATURES.names), FEATURES.version, TRAIN_END, folder)


def _key(frame: pd.DataFrame, spec: object = SPEC) -> str:
    assert isinstance(spec, type(SPEC))
    rows = training_rows(spec, frame, TRAIN_END)
    return fit_key(spec, rows, list(FEATURES.names), FEATURES.version, TRAIN_END)


def _predict(model: TrainedSystem, frame: pd.DataFrame) -> np.ndarray:
    import xgboost as xgb

    matrix = frame[model.feature_names].to_numpy(dtype=float, na_value=np.nan)
    return np.asarray(model.booster.predict(xgb.DMatrix(matrix, feature_names=model.feature_names)))


def test_a_hit_is_the_booster_a_fresh_fit_gives(
    frame: pd.DataFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fresh = _fit(frame, None)
    first = _fit(frame, tmp_path)  # a miss: fitted and kept
    assert sorted(p.suffix for p in tmp_path.iterdir()) == [".json", ".ubj"]

    def refit(*_: object) -> TrainedSystem:
        raise AssertionError("a kept fit was fitted again")

    monkeypatch.setattr(fit_cache, "fit_rows", refit)
    hit = _fit(frame, tmp_path)
    assert hit.artifact() == first.artifact() == fresh.artifact()
    assert hit.metadata == first.metadata
    assert hit.alpha == fresh.alpha and hit.calibration == fresh.calibration
    np.testing.assert_array_equal(_predict(hit, frame), _predict(fresh, frame))


def test_the_key_follows_what_the_fit_reads(frame: pd.DataFrame) -> None:
    key = _key(frame)
    read = frame.index[pd.to_datetime(frame["game_date"]).dt.date < TRAIN_END]
    unread = frame.index[pd.to_datetime(frame["game_date"]).dt.date >= TRAIN_END]
    assert len(read) > 200 and len(unread) > 0

    later = frame.copy()
    later.loc[unread[0], "strikeouts"] = 99
    assert _key(later) == key  # a start on or after train_end is not read

    changed = frame.copy()
    changed.loc[read[0], FEATURES.names[0]] = 123.0
    assert _key(changed) != key
    label = frame.copy()
    label.loc[read[-1], "strikeouts"] = 99
    assert _key(label) != key
    dropped = frame.drop(index=read[5])
    assert _key(dropped) != key

    deeper = dataclasses.replace(SPEC, params={**SPEC.params, "max_depth": 5})
    assert _key(frame, deeper) != key


def test_an_unreadable_entry_is_fitted_again(frame: pd.DataFrame, tmp_path: Path) -> None:
    first = _fit(frame, tmp_path)
    artifact = next(tmp_path.glob("*.ubj"))
    artifact.write_bytes(b"not a booster")
    again = _fit(frame, tmp_path)
    assert again.artifact() == first.artifact()
    assert artifact.read_bytes() == first.artifact()  # and the entry is mended
