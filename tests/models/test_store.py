"""The model store on both backends: versions, aliases, integrity, caching, races."""

from __future__ import annotations

import itertools
import threading
import time
import uuid
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xgboost as xgb

from strikeouts.adapters import open_model_store
from strikeouts.devstack.emulators import ServerProcess
from strikeouts.models.store import (
    ModelStoreError,
    parse_model_ref,
)
from strikeouts.settings import Settings

from .conftest import FEATURES, SYSTEM, Backend, gcs_client, metadata_of


def test_round_trip_of_a_real_xgboost_model(
    backend: Backend, artifacts: list[bytes], training: tuple[np.ndarray, np.ndarray]
) -> None:
    ref = backend.make().save(SYSTEM, artifacts[0], metadata_of())
    assert (ref.system_id, ref.version) == (SYSTEM, "v0001")

    loaded = backend.make().load(SYSTEM, "v0001")  # a fresh instance: no cache
    assert loaded.artifact == artifacts[0]
    assert loaded.version == "v0001"
    assert loaded.metadata.version == "v0001"
    assert loaded.metadata.feature_names == FEATURES
    assert loaded.metadata.train_end == date(2024, 9, 30)
    assert loaded.metadata.distribution == {"count_model": "negbin", "dispersion": 0.12}
    assert loaded.metadata.artifact_bytes == len(artifacts[0])
    assert "xgboost" in loaded.metadata.library_versions

    x, _ = training
    original, restored = xgb.Booster(), xgb.Booster()
    original.load_model(bytearray(artifacts[0]))
    restored.load_model(bytearray(loaded.artifact))
    matrix = xgb.DMatrix(x, feature_names=FEATURES)
    np.testing.assert_array_equal(original.predict(matrix), restored.predict(matrix))


def test_versions_increment_and_aliases_move(backend: Backend, artifacts: list[bytes]) -> None:
    store = backend.make()
    versions = [store.save(SYSTEM, a, metadata_of()).version for a in artifacts]
    assert versions == ["v0001", "v0002", "v0003"]
    assert store.list_versions(SYSTEM) == versions

    store.set_alias(SYSTEM, "champion", "v0001")
    store.set_alias(SYSTEM, "challenger", "v0002")
    assert store.aliases(SYSTEM) == {"champion": "v0001", "challenger": "v0002"}

    other = backend.make()
    assert other.load(SYSTEM, "champion").artifact == artifacts[0]
    assert other.load(SYSTEM, "challenger").artifact == artifacts[1]
    assert other.load(SYSTEM, "v0003").artifact == artifacts[2]
    assert other.resolve(SYSTEM, "latest").version == "v0003"

    store.set_alias(SYSTEM, "champion", "v0002")
    other.refresh()
    assert other.resolve(SYSTEM, "champion").version == "v0002"
    history = store.alias_history(SYSTEM)
    assert [(h["alias"], h["version"], h["previous"]) for h in history] == [
        ("champion", "v0001", None),
        ("challenger", "v0002", None),
        ("champion", "v0002", "v0001"),
    ]


def test_alias_resolution_is_cached_for_its_ttl_only(
    backend: Backend, artifacts: list[bytes]
) -> None:
    writer = backend.make()
    for artifact in artifacts[:2]:
        writer.save(SYSTEM, artifact, metadata_of())
    writer.set_alias(SYSTEM, "champion", "v0001")
    now = [0.0]
    reader = backend.make(alias_ttl_seconds=30.0)
    reader._clock = lambda: now[0]  # a controllable clock instead of sleeping
    assert reader.resolve(SYSTEM, "champion").version == "v0001"

    writer.set_alias(SYSTEM, "champion", "v0002")
    now[0] = 29.0
    assert reader.resolve(SYSTEM, "champion").version == "v0001"
    now[0] = 31.0
    assert reader.resolve(SYSTEM, "champion").version == "v0002"


def test_a_loaded_version_is_read_once_per_instance(
    backend: Backend, artifacts: list[bytes]
) -> None:
    backend.make().save(SYSTEM, artifacts[0], metadata_of())
    store = backend.make()
    first = store.load(SYSTEM, "v0001")
    backend.tamper(f"{SYSTEM}/versions/v0001/model.ubj", b"changed behind the store")
    assert store.load(SYSTEM, "v0001") is first
    with pytest.raises(ModelStoreError, match="corrupt"):
        backend.make().load(SYSTEM, "v0001")


@pytest.mark.parametrize(
    "damage",
    [lambda data: data[: len(data) // 2], lambda data: data[:-1] + bytes([data[-1] ^ 1])],
    ids=["truncated", "one-bit-flipped"],
)
def test_a_corrupt_artifact_is_refused_with_its_location(
    backend: Backend, artifacts: list[bytes], damage: Callable[[bytes], bytes]
) -> None:
    backend.make().save(SYSTEM, artifacts[0], metadata_of())
    backend.tamper(f"{SYSTEM}/versions/v0001/model.ubj", damage(artifacts[0]))
    with pytest.raises(ModelStoreError) as error:
        backend.make().load(SYSTEM, "v0001")
    message = str(error.value)
    assert "artifact is corrupt" in message
    assert f"{SYSTEM}/versions/v0001/model.ubj" in message


def test_corrupt_metadata_is_refused_naming_the_field(
    backend: Backend, artifacts: list[bytes]
) -> None:
    backend.make().save(SYSTEM, artifacts[0], metadata_of())
    backend.tamper(f"{SYSTEM}/versions/v0001/metadata.json", b'{"system_id": "v1_baseline"}')
    with pytest.raises(
        ModelStoreError, match=r"metadata\.json: metadata is corrupt: .*train_start"
    ):
        backend.make().load(SYSTEM, "v0001")
    backend.tamper(f"{SYSTEM}/versions/v0001/metadata.json", b"{not json")
    with pytest.raises(ModelStoreError, match="metadata is corrupt"):
        backend.make().load(SYSTEM, "v0001")


def test_missing_alias_unknown_system_and_unknown_version(
    backend: Backend, artifacts: list[bytes]
) -> None:
    store = backend.make()
    store.save(SYSTEM, artifacts[0], metadata_of())
    store.set_alias(SYSTEM, "challenger", "v0001")
    with pytest.raises(
        ModelStoreError,
        match=r"no alias 'champion' for system 'v1_baseline'; available: \['challenger'\]",
    ):
        store.load(SYSTEM, "champion")
    with pytest.raises(ModelStoreError, match=r"unknown system 'v9_nothing'.*\['v1_baseline'\]"):
        store.load("v9_nothing", "champion")
    with pytest.raises(ModelStoreError, match=r"no version 'v0009'.*\['v0001'\]"):
        store.load(SYSTEM, "v0009")
    with pytest.raises(ModelStoreError, match=r"no version 'v0002'"):
        store.set_alias(SYSTEM, "champion", "v0002")
    with pytest.raises(ModelStoreError, match="alias 'latest'"):
        store.set_alias(SYSTEM, "latest", "v0001")


def test_an_existing_version_is_never_overwritten(backend: Backend, artifacts: list[bytes]) -> None:
    store = backend.make()
    store.save(SYSTEM, artifacts[0], metadata_of())
    key = f"{SYSTEM}/versions/v0001/model.ubj"
    assert store.backend.create(key, artifacts[1]) is False
    blob = store.backend.read(key)
    assert blob is not None and blob.data == artifacts[0]

    # A writer whose listing is stale still cannot reuse the number: it moves on.
    stale = backend.make()
    real_highest = stale._highest_number
    answers = [0]  # the first listing misses v0001; later ones are true

    def stale_then_true(system_id: str) -> int:
        return answers.pop() if answers else real_highest(system_id)

    stale._highest_number = stale_then_true  # type: ignore[method-assign]
    assert stale.save(SYSTEM, artifacts[1], metadata_of()).version == "v0002"
    assert backend.make().load(SYSTEM, "v0001").artifact == artifacts[0]


def test_concurrent_saves_get_distinct_versions(backend: Backend, artifacts: list[bytes]) -> None:
    saved: list[tuple[str, bytes]] = []
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def writer(artifact: bytes) -> None:
        store = backend.make()
        start.wait()
        try:
            for _ in range(3):
                saved.append((store.save(SYSTEM, artifact, metadata_of()).version, artifact))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(a,)) for a in artifacts[:2]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(v for v, _ in saved) == [f"v000{i}" for i in range(1, 7)]
    reader = backend.make()
    for version, artifact in saved:
        assert reader.load(SYSTEM, version).artifact == artifact


def test_concurrent_alias_updates_lose_nothing(backend: Backend, artifacts: list[bytes]) -> None:
    setup = backend.make()
    for artifact in artifacts[:2]:
        setup.save(SYSTEM, artifact, metadata_of())
    rounds = 8
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    conflicts: list[str] = []

    def writer(versions: list[str]) -> None:
        store = backend.make()
        read, swap = store.backend.read, store.backend.swap

        def slow_read(key: str) -> Any:
            blob = read(key)
            time.sleep(0.01)  # widen the read-modify-write window so the writers collide
            return blob

        def counted_swap(key: str, data: bytes, expected: str | None) -> bool:
            swapped = swap(key, data, expected)
            if not swapped:
                conflicts.append(key)
            return swapped

        store.backend.read = slow_read  # type: ignore[method-assign]
        store.backend.swap = counted_swap  # type: ignore[method-assign]
        start.wait()
        try:
            for version in versions:
                store.set_alias(SYSTEM, "champion", version)
        except BaseException as exc:
            errors.append(exc)

    # Each writer alternates, so every call is a real move unless the other just made it.
    plans = [["v0001", "v0002"] * (rounds // 2), ["v0002", "v0001"] * (rounds // 2)]
    threads = [threading.Thread(target=writer, args=(plan,)) for plan in plans]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert conflicts, "the writers never collided, so the race was not exercised"
    final = backend.make().aliases(SYSTEM)["champion"]
    assert final in {"v0001", "v0002"}
    history = setup.alias_history(SYSTEM)
    # Compare-and-swap means each recorded move starts from the value the previous one left:
    # a lost update would show up as two moves from the same previous value.
    assert history[0]["previous"] is None
    for before, after in itertools.pairwise(history):
        assert after["previous"] == before["version"]
    assert history[-1]["version"] == final


def test_factory_honours_storage_emulator_host(
    gcs_emulator: ServerProcess, gcs_bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs_emulator.endpoint)
    prefix = f"env-{uuid.uuid4().hex[:8]}"
    store = open_model_store(Settings(model_store=f"gs://{gcs_bucket}/{prefix}"))
    ref = store.save(SYSTEM, b"not really a model", metadata_of())
    assert ref.uri == f"gs://{gcs_bucket}/{prefix}/{SYSTEM}/versions/v0001/model.ubj"
    assert store.systems() == [SYSTEM]


def test_a_missing_bucket_is_named(gcs_emulator: ServerProcess) -> None:
    store = open_model_store(
        Settings(model_store="gs://no-such-bucket-here/models"),
        client=gcs_client(gcs_emulator.endpoint),
    )
    with pytest.raises(ModelStoreError, match="bucket gs://no-such-bucket-here not found"):
        store.list_versions(SYSTEM)


def test_save_refuses_inconsistent_input(tmp_path: Path) -> None:
    store = open_model_store(Settings(model_store=str(tmp_path)))
    with pytest.raises(ModelStoreError, match="does not match 'v1_6_rolling'"):
        store.save("v1_6_rolling", b"x", metadata_of())
    with pytest.raises(ModelStoreError, match="empty artifact"):
        store.save(SYSTEM, b"", metadata_of())
    with pytest.raises(ModelStoreError, match="not JSON-serialisable"):
        store.save(SYSTEM, b"x", metadata_of(hyperparameters={"bad": object()}))
    assert store.list_versions(SYSTEM) == []
    assert store.systems() == []  # the refused saves left nothing behind


@pytest.mark.parametrize(
    ("text", "system_id", "ref"),
    [
        ("v1_baseline@champion", "v1_baseline", "champion"),
        ("v1_6_rolling@v0003", "v1_6_rolling", "v0003"),
        ("ensemble_v1", "ensemble_v1", "champion"),
    ],
)
def test_parse_model_ref(text: str, system_id: str, ref: str) -> None:
    spec = parse_model_ref(text)
    assert (spec.system_id, spec.ref) == (system_id, ref)
    assert parse_model_ref(str(spec)) == spec


@pytest.mark.parametrize("text", ["@champion", "v1 baseline@champion", "v1_baseline@Champ!"])
def test_parse_model_ref_refuses_malformed_refs(text: str) -> None:
    with pytest.raises(ModelStoreError, match=r"system_id|neither an alias"):
        parse_model_ref(text)
