"""The state cache in front of the real GcsStateStore on fake-gcs-server: cached reads download
nothing, another instance's write costs our stale copy one HTTP 412, concurrent increments
from two instances land exactly once, and the cloud entry wires the cache in (only there)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pipeline.doubles import CountingStore

from strikeouts.cloud.entry import open_state_store
from strikeouts.cloud.gcs_state import GcsStateStore
from strikeouts.devstack.emulators import ServerProcess
from strikeouts.pipeline.errors import StateConflict
from strikeouts.pipeline.messages import PitcherGameKey
from strikeouts.pipeline.ports import Versioned
from strikeouts.pipeline.state import compare_and_set
from strikeouts.pipeline.state_cache import CachedStateStore
from strikeouts.runtime.state_store import DuckDBStateStore
from strikeouts.settings import Settings

pytestmark = pytest.mark.emulator

PROJECT = "state-cache-test"
KEY = PitcherGameKey("run-1", "NYY202406010", 600000)
NOW = datetime(2024, 6, 1, 12, tzinfo=UTC)


@pytest.fixture
def gcs_host(gcs_emulator: ServerProcess, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs_emulator.endpoint)
    return gcs_emulator.endpoint


def new_client() -> Any:
    import google.cloud.storage as storage
    from google.auth.credentials import AnonymousCredentials

    return storage.Client(project=PROJECT, credentials=AnonymousCredentials())


@pytest.fixture
def bucket(gcs_host: str) -> str:
    name = f"state-cache-{uuid.uuid4().hex[:10]}"
    new_client().create_bucket(name)
    return name


def instance(bucket: str) -> CountingStore:
    """The state store of one function instance: its own client over the shared bucket."""
    return CountingStore(GcsStateStore(new_client(), bucket))


def append(item: str) -> Any:
    def mutate(state: dict[str, Any] | None) -> dict[str, Any] | None:
        state = state or {"items": []}
        state["items"].append(item)
        return state

    return mutate


def cas(store: Any, mutate: Any, attempts: int = 3) -> tuple[Versioned | None, bool]:
    return compare_and_set(
        store, KEY, mutate, deadline_of=lambda _: NOW, now=NOW, attempts=attempts
    )


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Names of the objects downloaded from Cloud Storage during the test."""
    from google.cloud.storage import Blob

    seen: list[str] = []
    original = Blob.download_as_bytes

    def counted(self: Blob, *args: Any, **kwargs: Any) -> bytes:
        seen.append(self.name)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Blob, "download_as_bytes", counted)
    yield seen


def test_cached_reads_download_nothing(bucket: str, downloads: list[str]) -> None:
    spy = instance(bucket)
    cache = CachedStateStore(spy)
    created, _ = cas(cache, append("a"))
    assert len(downloads) == spy.loads == 1  # found nothing (absence is not cached), created
    for item in "bcd":
        cas(cache, append(item))
    assert len(downloads) == spy.loads == 1 and spy.saves == 4
    stored = cache.load(KEY)
    assert stored is not None and stored.state == {"items": ["a", "b", "c", "d"]}
    assert created is not None and stored.version > created.version  # the object's generation
    assert spy.inner.load(KEY) == stored  # what the bucket holds
    assert len(downloads) == 2  # that check, not the cache


def test_another_instance_s_write_costs_our_stale_copy_one_412(bucket: str) -> None:
    ours_spy = instance(bucket)
    ours = CachedStateStore(ours_spy)
    theirs = CachedStateStore(instance(bucket))
    cas(ours, append("ours-1"))  # one read finding nothing, one create
    cas(theirs, append("theirs"))  # reads our object once, then writes a new generation
    assert (ours_spy.conflicts, ours_spy.loads) == (0, 1)

    stored, changed = cas(ours, append("ours-2"))
    assert changed and stored is not None
    assert stored.state == {"items": ["ours-1", "theirs", "ours-2"]}
    assert (ours_spy.conflicts, ours_spy.loads) == (1, 2)  # one 412, one re-read
    assert ours_spy.inner.load(KEY) == stored


def test_a_failed_mutation_or_a_lost_race_does_not_poison_the_cache(bucket: str) -> None:
    spy = instance(bucket)
    cache = CachedStateStore(spy)
    created, _ = cas(cache, append("a"))
    assert created is not None and spy.loads == 1  # the read that found nothing

    def half_then_fail(state: dict[str, Any] | None) -> dict[str, Any] | None:
        assert state is not None
        state["items"].append("half-applied")
        raise RuntimeError("mutation failed")

    with pytest.raises(RuntimeError):
        cas(cache, half_then_fail)
    assert cache.load(KEY) == created and spy.loads == 1

    cas(CachedStateStore(instance(bucket)), append("theirs"))
    with pytest.raises(StateConflict, match="HTTP 412"):
        cache.save(
            KEY, {"items": ["ours"]}, expected_version=created.version, deadline=NOW,
            finalized=False, written=False, now=NOW,
        )  # fmt: skip
    assert len(cache) == 0  # the stale entry went with the 412
    reread = cache.load(KEY)
    assert reread is not None and reread.state == {"items": ["a", "theirs"]} and spy.loads == 2


def test_concurrent_increments_from_two_instances_land_exactly_once(bucket: str) -> None:
    spies = [instance(bucket), instance(bucket)]
    caches = [CachedStateStore(spy) for spy in spies]
    threads_per_instance, per_thread = 3, 5
    start = threading.Barrier(2 * threads_per_instance)
    errors: list[BaseException] = []

    def work(cache: CachedStateStore, name: str) -> None:
        try:
            start.wait()
            for i in range(per_thread):
                cas(cache, append(f"{name}-{i}"), attempts=200)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [
        threading.Thread(target=work, args=(cache, f"i{n}-t{t}"))
        for n, cache in enumerate(caches)
        for t in range(threads_per_instance)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    final = spies[0].inner.load(KEY)
    assert final is not None
    items = final.state["items"]
    expected = {f"i{n}-t{t}-{i}" for n in range(2) for t in range(3) for i in range(per_thread)}
    assert len(items) == len(expected) and set(items) == expected  # all, none twice
    assert sum(spy.conflicts for spy in spies) > 0  # they really raced
    # creates + successful updates: each write that did not conflict is one increment
    assert sum(spy.saves - spy.conflicts for spy in spies) == len(expected)
    assert sum(cache.hits for cache in caches) > 0


def test_the_cloud_state_store_is_cached_and_the_embedded_one_is_not(
    bucket: str, gcs_host: str, tmp_path: Path
) -> None:
    settings = Settings(
        aggregation_state=f"gs://{bucket}/agg",
        stack={"gcp_project": PROJECT, "storage_emulator_host": gcs_host},
        state_dir=tmp_path,
    )
    store = open_state_store(settings)
    assert isinstance(store, CachedStateStore) and isinstance(store.inner, GcsStateStore)
    assert store.inner.prefix == "agg"
    cas(store, append("a"))
    stored = GcsStateStore(new_client(), bucket, "agg").load(KEY)
    assert stored is not None and stored.state == {"items": ["a"]}
    assert store.load(KEY) == stored
    assert isinstance(open_state_store(Settings(state_dir=tmp_path)), DuckDBStateStore)
