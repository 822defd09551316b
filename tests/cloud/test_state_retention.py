"""Finished aggregation states are deleted by the tick's listing once past their retention,
so the listing every tick makes (one Cloud Storage class A operation per thousand objects)
holds about a day of pitcher-games instead of a season's; unfinished ones are never deleted."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from strikeouts.cloud.gcs_state import GcsStateStore
from strikeouts.devstack.emulators import ServerProcess
from strikeouts.pipeline.messages import PitcherGameKey

pytestmark = pytest.mark.emulator

NOW = dt.datetime(2025, 7, 4, 12, tzinfo=dt.UTC)


def key(pitcher: int) -> PitcherGameKey:
    return PitcherGameKey("run-1", "NYA202507040", pitcher)


@pytest.fixture
def store(gcs_emulator: ServerProcess, monkeypatch: pytest.MonkeyPatch) -> GcsStateStore:
    import google.cloud.storage as storage
    from google.auth.credentials import AnonymousCredentials

    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs_emulator.endpoint)
    client = storage.Client(project="retention-test", credentials=AnonymousCredentials())
    bucket = f"retention-{uuid.uuid4().hex[:10]}"
    client.create_bucket(bucket)
    return GcsStateStore(client, bucket, "state", retention=dt.timedelta(hours=24))


def save(store: GcsStateStore, pitcher: int, *, finalized: bool, written: bool, age: Any) -> None:
    store.save(
        key(pitcher),
        {"pitcher": pitcher},
        expected_version=None,
        deadline=NOW - age,
        finalized=finalized,
        written=written,
        now=NOW - age,
    )


def test_listing_deletes_finished_states_past_retention_and_nothing_else(
    store: GcsStateStore,
) -> None:
    day, hour = dt.timedelta(days=2), dt.timedelta(hours=1)
    save(store, 1, finalized=True, written=True, age=day)  # finished long ago: deleted
    save(store, 2, finalized=True, written=True, age=hour)  # finished recently: kept
    save(store, 3, finalized=False, written=False, age=day)  # overdue: due, kept
    save(store, 4, finalized=True, written=False, age=day)  # unwritten: due, kept
    assert store.due(NOW) == [key(3), key(4)]
    assert sorted(k.pitcher_id for k in store.versions()) == [2, 3, 4]
