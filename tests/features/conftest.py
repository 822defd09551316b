"""Feature fixtures: the real history, loaded once from the session's ingested warehouse."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from strikeouts.features import (
    History,
    PreparedHistory,
    build_features,
    prepare_history,
    start_targets,
)
from strikeouts.warehouse.duckdb_backend import DuckDBWarehouse


@pytest.fixture(scope="session")
def history(ingested: DuckDBWarehouse) -> History:
    """The whole real history (no cut)."""
    return History.load(ingested)


@pytest.fixture(scope="session")
def backtest(history: History) -> pd.DataFrame:
    """Features of every start 2022-2026 from one range build, with the actual strikeouts."""
    targets = start_targets(history, dt.date(2022, 1, 1), dt.date(2026, 12, 31))
    features = build_features(history, targets)
    actual = history.starts.set_index(["game_id", "pitcher_id"])["strikeouts"]
    keys = pd.MultiIndex.from_frame(features[["game_id", "pitcher_id"]])
    return features.assign(actual_k=actual.reindex(keys).to_numpy())


@pytest.fixture(scope="session")
def prepared(history: History) -> PreparedHistory:
    """The whole real history's state tables, computed once."""
    return prepare_history(history)
