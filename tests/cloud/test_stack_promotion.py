"""Promotion, shadowing and rollback on the local stack: the system functions follow their
aliases in fake-gcs-server (within the short alias TTL the session's stack runs with), the
challenger's rows land in bqemulator's ``shadow_predictions`` only, the predictions stay the
champion's."""

from __future__ import annotations

import datetime as dt
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from strikeouts.cloud.bigquery_warehouse import BigQueryWarehouse
from strikeouts.cloud.functions import open_function_model_store
from strikeouts.cloud.publish import publish_schedule
from strikeouts.cloud.pubsub import PubSubPublisher
from strikeouts.cloud.staging import StagingMerger, open_merger
from strikeouts.devstack.stack import StackInfo
from strikeouts.models.object_store import ObjectModelStore
from strikeouts.models.promotion import clear, promote, rollback
from strikeouts.models.service import register, train, training_frame
from strikeouts.names import SHADOW_PREDICTIONS
from strikeouts.pipeline.clock import FakeClock
from strikeouts.runtime.export import prediction_rows
from strikeouts.warehouse.duckdb_backend import DuckDBWarehouse, ReadOnlyDuckDBWarehouse

from .stack_session import (
    ALIAS_TTL_SECONDS,
    CREATED,
    ROWS_PER_START,
    TRAIN_END,
    event_for,
    rows_of,
    starters,
    wait_for,
)

pytestmark = [pytest.mark.emulator, pytest.mark.slow, pytest.mark.data]

SYSTEM = "v1_baseline"
SHADOW_DAY = dt.date(2025, 6, 20)
PROMOTED_DAY = dt.date(2025, 6, 21)
ROLLED_DAY = dt.date(2025, 6, 22)
CHALLENGER_END = TRAIN_END - dt.timedelta(days=200)  # the 2024 season's first half only


@pytest.fixture(scope="module")
def store(info: StackInfo) -> Iterator[ObjectModelStore]:
    """The stack's model store with a second v1_baseline (not aliased); the aliases restored
    at the end, so the other stack tests see the champions they started with."""
    store = open_function_model_store(info.settings())
    champion = store.aliases(SYSTEM)["champion"]
    features = ReadOnlyDuckDBWarehouse(info.feature_warehouse)
    try:
        frame = training_frame(features, CHALLENGER_END)
    finally:
        features.close()
    register(store, train(frame, SYSTEM, CHALLENGER_END), None)
    yield store
    store.move_alias(SYSTEM, "champion", champion)
    clear(store, SYSTEM)
    time.sleep(ALIAS_TTL_SECONDS + 1.0)


@pytest.fixture(scope="module")
def shadow_merger(info: StackInfo, cloud: BigQueryWarehouse) -> StagingMerger:
    found = open_merger(info.settings(), cloud, SHADOW_PREDICTIONS)
    assert found is not None
    return found


def _propagate() -> None:
    """Wait out the functions' cached alias resolutions."""
    time.sleep(ALIAS_TTL_SECONDS + 1.0)


def _shadows(cloud: BigQueryWarehouse, run_id: str, merger: StagingMerger) -> pd.DataFrame:
    merger.merge()
    return cloud.query(f"SELECT * FROM {SHADOW_PREDICTIONS} WHERE run_id = @r", {"r": run_id})


def _served(
    info: StackInfo,
    cloud: BigQueryWarehouse,
    merger: StagingMerger,
    publisher: PubSubPublisher,
    day: dt.date,
    run_id: str,
) -> pd.DataFrame:
    """Publish ``day`` as ``run_id``; its prediction rows once all are final."""
    event = event_for(info, day, run_id)
    expected = ROWS_PER_START * starters(event)
    publish_schedule(publisher, event)
    wait_for(
        f"{expected} rows of {run_id}", lambda: len(rows_of(cloud, run_id, merger)) >= expected
    )
    return rows_of(cloud, run_id, merger)


def _version(rows: pd.DataFrame) -> set[str]:
    return set(rows.loc[rows["system_id"] == SYSTEM, "model_version"])


def test_promote_a_challenger_shadow_promote_and_roll_back_on_the_stack(
    info: StackInfo,
    cloud: BigQueryWarehouse,
    merger: StagingMerger,
    shadow_merger: StagingMerger,
    publisher: PubSubPublisher,
    store: ObjectModelStore,
    tmp_path: Path,
) -> None:
    champion = store.aliases(SYSTEM)["champion"]
    challenger = store.list_versions(SYSTEM)[-1]
    assert challenger != champion
    promote(store, SYSTEM, challenger, alias="challenger")
    _propagate()

    rows = _served(info, cloud, merger, publisher, SHADOW_DAY, "promo-shadow")
    n = len(rows) // ROWS_PER_START
    wait_for(f"{n} shadow rows", lambda: len(_shadows(cloud, "promo-shadow", shadow_merger)) >= n)
    shadows = _shadows(cloud, "promo-shadow", shadow_merger)
    assert len(shadows) == n
    assert set(shadows["model_alias"]) == {"challenger"}
    assert set(shadows["model_version"]) == {challenger}
    assert set(shadows["system_id"]) == {SYSTEM}
    assert "challenger" not in set(rows["model_alias"].dropna())
    assert _version(rows) == {champion}
    # the predictions (ensemble included) are exactly an embedded run's without a challenger
    local = tmp_path / "embedded.duckdb"
    shutil.copyfile(info.feature_warehouse, local)
    embedded = DuckDBWarehouse(local)
    try:
        from strikeouts.runtime.runner import Runner, load_predictors

        runner = Runner(
            embedded, load_predictors(store), tmp_path / "state.duckdb", clock=FakeClock(CREATED)
        )
        runner.run(SHADOW_DAY, SHADOW_DAY, run_id="promo-shadow")
        want = prediction_rows(embedded, ["promo-shadow"])
    finally:
        embedded.close()
    pd.testing.assert_frame_equal(prediction_rows(cloud, ["promo-shadow"]), want)

    promote(store, SYSTEM, "challenger")
    _propagate()
    promoted = _served(info, cloud, merger, publisher, PROMOTED_DAY, "promo-promoted")
    assert _version(promoted) == {challenger}
    assert _shadows(cloud, "promo-promoted", shadow_merger).empty  # challenger == champion

    assert rollback(store, SYSTEM).version == champion
    _propagate()
    rolled = _served(info, cloud, merger, publisher, ROLLED_DAY, "promo-rolled")
    assert _version(rolled) == {champion}
    m = len(rolled) // ROWS_PER_START
    wait_for(f"{m} shadow rows", lambda: len(_shadows(cloud, "promo-rolled", shadow_merger)) >= m)
