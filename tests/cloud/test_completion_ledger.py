"""The completion ledger on Cloud Storage (fake-gcs-server) under the completion sweep: a
run date is announced only once all its pitcher-games are written, once whatever the number
of sweepers, and a claim whose publish failed is published again only after its lease, with
the same ``completion_id``."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any

import pytest

from strikeouts.cloud.gcs_completions import GcsCompletionLedger
from strikeouts.cloud.gcs_state import GcsStateStore
from strikeouts.devstack.emulators import ServerProcess
from strikeouts.pipeline.completion import RunCompletions
from strikeouts.pipeline.config import PipelineConfig
from strikeouts.pipeline.messages import PitcherGameKey, validate

pytestmark = pytest.mark.emulator

NOW = dt.datetime(2025, 7, 4, 12, tzinfo=dt.UTC)
RUN = "run-1"
CONFIG = PipelineConfig(expected_systems=["v1_baseline", "v1_6_rolling"])


class Sent:
    """Keeps what it publishes; ``fail`` makes the next publish raise (a lost publish)."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self.fail = False

    def publish_completion(self, message: Mapping[str, Any]) -> str:
        if self.fail:
            self.fail = False
            raise ConnectionError("publish lost")
        self.messages.append(dict(message))
        return str(len(self.messages))


@pytest.fixture
def gcs(gcs_emulator: ServerProcess, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, str]:
    import google.cloud.storage as storage
    from google.auth.credentials import AnonymousCredentials

    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs_emulator.endpoint)
    client = storage.Client(project="completion-test", credentials=AnonymousCredentials())
    bucket = f"completion-{uuid.uuid4().hex[:10]}"
    client.create_bucket(bucket)
    return client, bucket


def save(store: GcsStateStore, pitcher: int, *, written: bool, complete: bool = True) -> None:
    """One decided pitcher-game of a two-pitcher-game run (``complete``: both systems on time)."""
    results = {"v1_baseline": {"status": "ok"}, "v1_6_rolling": {"status": "error"}}
    if not complete:
        del results["v1_6_rolling"]
    state = {
        "header": {
            "run_id": RUN,
            "run_created_at": "2025-07-04T10:00:00Z",
            "game_date": "2025-07-04",
            "expected_systems": CONFIG.expected_systems,
            "run_pitcher_games": 2,
        },
        "results": results,
        "late": {},
        "outcome": {"system_id": "ensemble_v1", "status": "fallback"},
        "written": written,
    }
    key = PitcherGameKey(RUN, "NYA202507040", pitcher)
    current = store.load(key)
    store.save(
        key,
        state,
        expected_version=None if current is None else current.version,
        deadline=NOW,
        finalized=True,
        written=written,
        now=NOW,
    )


def test_a_run_date_is_announced_once_when_all_its_pitcher_games_are_written(
    gcs: tuple[Any, str],
) -> None:
    client, bucket = gcs
    store = GcsStateStore(client, bucket, "state")
    ledger = GcsCompletionLedger(client, bucket)
    sent = Sent()
    save(store, 1, written=True)
    save(store, 2, written=False, complete=False)
    assert RunCompletions(ledger, sent, CONFIG).sweep(store, NOW) == []  # one not written
    save(store, 2, written=True, complete=False)
    [message] = RunCompletions(ledger, sent, CONFIG).sweep(store, NOW)
    validate("predictions-complete", message)
    assert message["completion_id"] == f"{RUN}/2025-07-04" and message["pitcher_games"] == 2
    assert message["rows_by_system"] == {"ensemble_v1": 2, "v1_6_rolling": 1, "v1_baseline": 2}
    assert (message["fallbacks"], message["errors"], message["skips"]) == (2, 1, 0)
    assert message["finalized_by_deadline"] == 1
    # another instance (no memory of it) and a racing claimant both find the record
    assert RunCompletions(ledger, sent, CONFIG).sweep(store, NOW) == []
    assert not ledger.claim(message, NOW)
    assert sent.messages == [message]
    record = ledger.record(message["completion_id"])
    assert record is not None and record.published


def test_a_claim_whose_publish_was_lost_is_published_again_after_its_lease(
    gcs: tuple[Any, str],
) -> None:
    client, bucket = gcs
    store = GcsStateStore(client, bucket, "state")
    ledger = GcsCompletionLedger(client, bucket)
    sent = Sent()
    save(store, 1, written=True)
    save(store, 2, written=True)
    sent.fail = True
    with pytest.raises(ConnectionError):
        RunCompletions(ledger, sent, CONFIG).sweep(store, NOW)
    record = ledger.record(f"{RUN}/2025-07-04")
    assert record is not None and not record.published
    soon, late = NOW + dt.timedelta(minutes=1), NOW + dt.timedelta(minutes=6)
    assert RunCompletions(ledger, sent, CONFIG).sweep(store, soon) == []  # may still publish
    [again] = RunCompletions(ledger, sent, CONFIG).sweep(store, late)
    assert again["completion_id"] == f"{RUN}/2025-07-04"
    assert RunCompletions(ledger, sent, CONFIG).sweep(store, late) == []
    assert len(sent.messages) == 1
