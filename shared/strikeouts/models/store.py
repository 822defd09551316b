"""The model store: immutable numbered versions per system, and movable aliases over them.

Invariants every backend keeps:

- a version (``v0001``, ``v0002`` ...) is written once and never overwritten: its artifact and
  metadata are create-only writes, so two trainers saving at once get two versions;
- an artifact always matches the sha256 recorded in its metadata, checked on every load;
- the aliases of a system (``champion``, ``challenger`` ...) live in one small document that is
  only ever replaced by compare-and-swap, so concurrent alias updates never lose one.

Layout under the store root (a directory or ``gs://BUCKET/PREFIX``)::

    SYSTEM/versions/v0003/model.ubj
    SYSTEM/versions/v0003/metadata.json
    SYSTEM/aliases.json

Caching: a loaded version is cached in-process for the life of the store object (versions are
immutable, so a serving instance loads its model once). Alias resolutions are cached for
``alias_ttl_seconds`` (default 30 s) and dropped by :meth:`ObjectModelStore.refresh`, so a
promotion reaches running instances within the TTL.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from pydantic import ValidationError

from strikeouts.models.metadata import ModelMetadata
from strikeouts.settings import Settings, get_settings

if TYPE_CHECKING:
    import google.cloud.storage as storage

GCS_PREFIX = "gs://"
DEFAULT_ALIAS = "champion"
LATEST = "latest"
"""Pseudo-alias for the highest version; it cannot be set."""
ALIAS_HISTORY_LIMIT = 200

_SYSTEM_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_VERSION_RE = re.compile(r"^v(\d{4,})$")
_ALIAS_RE = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")


class ModelStoreError(RuntimeError):
    """A model store operation failed; the message names the object and what is wrong."""


@dataclass(frozen=True)
class ModelSpec:
    """A parsed ``SYSTEM@REF`` string: which system, and an alias or explicit version."""

    system_id: str
    ref: str

    def __str__(self) -> str:
        return f"{self.system_id}@{self.ref}"


@dataclass(frozen=True)
class ModelRef:
    """One concrete stored version of a system's model."""

    system_id: str
    version: str
    uri: str
    """Where the artifact lives (a path or ``gs://`` URI), for logs and errors."""

    def __str__(self) -> str:
        return f"{self.system_id}@{self.version}"


@dataclass(frozen=True)
class LoadedModel:
    """A verified artifact with its metadata."""

    artifact: bytes
    metadata: ModelMetadata
    version: str


@dataclass(frozen=True)
class Blob:
    """An object's bytes and the token a compare-and-swap must present to replace it."""

    data: bytes
    token: str


class ObjectBackend(Protocol):
    """The few object operations the store needs; keys are ``/``-separated, root-relative."""

    location: str

    def uri(self, key: str) -> str:
        """Full path or URI of ``key``, for messages."""
        ...

    def read(self, key: str) -> Blob | None:
        """The object's bytes and swap token, or None when it does not exist."""
        ...

    def create(self, key: str, data: bytes) -> bool:
        """Write ``key`` only if it does not exist; False when it already did."""
        ...

    def swap(self, key: str, data: bytes, expected: str | None) -> bool:
        """Replace ``key`` if its token is still ``expected`` (None: must not exist)."""
        ...

    def keys(self, prefix: str) -> list[str]:
        """All keys starting with ``prefix``."""
        ...


@runtime_checkable
class ModelStore(Protocol):
    """Versions and aliases of each system's trained model."""

    location: str

    def save(self, system_id: str, artifact: bytes, metadata: ModelMetadata) -> ModelRef:
        """Store a new version (the next number) and return it; never overwrites."""
        ...

    def set_alias(self, system_id: str, alias: str, version: str) -> ModelRef:
        """Point ``alias`` at an existing ``version``."""
        ...

    def resolve(self, system_id: str, ref: str) -> ModelRef:
        """The version an alias (or explicit version, or ``latest``) names."""
        ...

    def load(self, system_id: str, ref: str) -> LoadedModel:
        """The verified artifact and metadata of an alias or version (cached per version)."""
        ...

    def list_versions(self, system_id: str) -> list[str]:
        """Complete versions of a system, oldest first ([] for a system never saved)."""
        ...

    def aliases(self, system_id: str) -> dict[str, str]:
        """Current alias → version map of a system."""
        ...

    def systems(self) -> list[str]:
        """Systems with at least one stored object."""
        ...

    def refresh(self, system_id: str | None = None) -> None:
        """Forget cached alias resolutions (all systems by default)."""
        ...


def parse_model_ref(text: str) -> ModelSpec:
    """``v1_baseline@champion`` → (v1_baseline, champion); a bare system means its champion."""
    system_id, sep, ref = text.strip().partition("@")
    if not sep:
        ref = DEFAULT_ALIAS
    _check_system(system_id)
    if not (_VERSION_RE.match(ref) or _ALIAS_RE.match(ref)):
        raise ModelStoreError(
            f"model ref {text!r}: {ref!r} is neither an alias (e.g. 'champion') "
            "nor a version (e.g. 'v0003')"
        )
    return ModelSpec(system_id, ref)


def version_number(version: str) -> int:
    """``v0007`` → 7."""
    match = _VERSION_RE.match(version)
    if not match:
        raise ModelStoreError(f"version {version!r} is not of the form 'v0001'")
    return int(match.group(1))


def format_version(number: int) -> str:
    """7 → ``v0007``."""
    return f"v{number:04d}"


def sha256_hex(data: bytes) -> str:
    """Hex sha256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def _check_system(system_id: str) -> None:
    if not _SYSTEM_RE.match(system_id):
        raise ModelStoreError(
            f"system_id {system_id!r} must be 1-64 letters, digits, '_', '.' or '-'"
        )


def _check_alias(alias: str) -> None:
    if not _ALIAS_RE.match(alias) or _VERSION_RE.match(alias) or alias == LATEST:
        raise ModelStoreError(
            f"alias {alias!r} must be lowercase letters, digits, '_' or '-', start with a "
            f"letter, and be neither a version nor {LATEST!r}"
        )


def _artifact_key(system_id: str, version: str) -> str:
    return f"{system_id}/versions/{version}/model.ubj"


def _metadata_key(system_id: str, version: str) -> str:
    return f"{system_id}/versions/{version}/metadata.json"


def _aliases_key(system_id: str) -> str:
    return f"{system_id}/aliases.json"


class ObjectModelStore:
    """The model store over any :class:`ObjectBackend` (local directory, Cloud Storage)."""

    def __init__(
        self,
        backend: ObjectBackend,
        *,
        alias_ttl_seconds: float = 30.0,
        max_attempts: int = 20,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.backend = backend
        self.location = backend.location
        self.alias_ttl_seconds = alias_ttl_seconds
        self.max_attempts = max_attempts
        self._clock = clock
        self._models: dict[tuple[str, str], LoadedModel] = {}
        self._alias_cache: dict[str, tuple[float, dict[str, str]]] = {}

    # -- writing -------------------------------------------------------------------------

    def save(self, system_id: str, artifact: bytes, metadata: ModelMetadata) -> ModelRef:
        """Store a new version (the next number) and return it; never overwrites."""
        _check_system(system_id)
        if metadata.system_id != system_id:
            raise ModelStoreError(
                f"metadata.system_id {metadata.system_id!r} does not match {system_id!r}"
            )
        if not artifact:
            raise ModelStoreError(f"{system_id}: refusing to save an empty artifact")
        digest = sha256_hex(artifact)
        try:
            # Serialise before claiming a version, so bad metadata leaves no orphan artifact.
            metadata.model_dump_json()
        except (ValueError, TypeError) as exc:
            raise ModelStoreError(f"{system_id}: metadata is not JSON-serialisable: {exc}") from exc
        for _ in range(self.max_attempts):
            version = format_version(self._highest_number(system_id) + 1)
            if not self.backend.create(_artifact_key(system_id, version), artifact):
                continue  # another writer claimed this number first
            stored = metadata.model_copy(
                update={
                    "version": version,
                    "artifact_sha256": digest,
                    "artifact_bytes": len(artifact),
                }
            )
            key = _metadata_key(system_id, version)
            if not self.backend.create(key, stored.model_dump_json(indent=2).encode()):
                raise ModelStoreError(
                    f"{self.backend.uri(key)} already exists without its artifact"
                )
            self._models[(system_id, version)] = LoadedModel(artifact, stored, version)
            return self._ref(system_id, version)
        raise ModelStoreError(
            f"{system_id}: could not claim a new version in {self.max_attempts} attempts"
        )

    def set_alias(self, system_id: str, alias: str, version: str) -> ModelRef:
        """Point ``alias`` at an existing ``version`` (compare-and-swap, bounded retries)."""
        _check_system(system_id)
        _check_alias(alias)
        version_number(version)
        self._require_version(system_id, version)
        key = _aliases_key(system_id)
        for attempt in range(self.max_attempts):
            current = self.backend.read(key)
            document = self._parse_aliases(key, current)
            previous = document["aliases"].get(alias)
            if previous == version:
                self._cache_aliases(system_id, document["aliases"])
                return self._ref(system_id, version)
            document["aliases"][alias] = version
            document["history"] = [
                *document["history"],
                {
                    "alias": alias,
                    "version": version,
                    "previous": previous,
                    "at": datetime.now(UTC).isoformat(),
                },
            ][-ALIAS_HISTORY_LIMIT:]
            data = json.dumps(document, indent=2, sort_keys=True).encode()
            if self.backend.swap(key, data, current.token if current else None):
                self._cache_aliases(system_id, document["aliases"])
                return self._ref(system_id, version)
            # Lost a race: back off with jitter so the writers stop colliding.
            time.sleep(min(0.5, 0.005 * 2**attempt) * random.random())
        raise ModelStoreError(
            f"{self.backend.uri(key)}: alias {alias!r} not updated after "
            f"{self.max_attempts} concurrent-update conflicts"
        )

    # -- reading -------------------------------------------------------------------------

    def resolve(self, system_id: str, ref: str) -> ModelRef:
        """The version an alias (or explicit version, or ``latest``) names."""
        _check_system(system_id)
        if _VERSION_RE.match(ref):
            if (system_id, ref) not in self._models:
                self._require_version(system_id, ref)
            return self._ref(system_id, ref)
        if ref == LATEST:
            versions = self._require_system(system_id)
            return self._ref(system_id, versions[-1])
        if not _ALIAS_RE.match(ref):
            raise ModelStoreError(
                f"{system_id}: ref {ref!r} is neither an alias nor a version like 'v0003'"
            )
        aliases = self._cached_aliases(system_id)
        if ref not in aliases:
            # A cached miss may be stale (the alias was just created elsewhere): read once more.
            self.refresh(system_id)
            aliases = self._cached_aliases(system_id)
        if ref not in aliases:
            self._require_system(system_id)
            raise ModelStoreError(
                f"no alias {ref!r} for system {system_id!r}; available: "
                f"{sorted(aliases) or 'none'} (store {self.location})"
            )
        return self._ref(system_id, aliases[ref])

    def load(self, system_id: str, ref: str) -> LoadedModel:
        """The verified artifact and metadata of an alias or version (cached per version)."""
        version = self.resolve(system_id, ref).version
        cached = self._models.get((system_id, version))
        if cached is not None:
            return cached
        metadata = self._read_metadata(system_id, version)
        key = _artifact_key(system_id, version)
        blob = self.backend.read(key)
        if blob is None:
            raise ModelStoreError(f"{self.backend.uri(key)}: artifact is missing")
        actual = sha256_hex(blob.data)
        if actual != metadata.artifact_sha256:
            raise ModelStoreError(
                f"{self.backend.uri(key)}: artifact is corrupt: sha256 {actual} "
                f"({len(blob.data)} bytes) != recorded {metadata.artifact_sha256} "
                f"({metadata.artifact_bytes} bytes)"
            )
        loaded = LoadedModel(blob.data, metadata, version)
        self._models[(system_id, version)] = loaded
        return loaded

    def list_versions(self, system_id: str) -> list[str]:
        """Complete versions (metadata written) of a system, oldest first."""
        _check_system(system_id)
        prefix = f"{system_id}/versions/"
        versions = {
            key[len(prefix) :].split("/")[0]
            for key in self.backend.keys(prefix)
            if key.endswith("/metadata.json")
        }
        return sorted((v for v in versions if _VERSION_RE.match(v)), key=version_number)

    def aliases(self, system_id: str) -> dict[str, str]:
        """Current alias → version map of a system, read fresh."""
        _check_system(system_id)
        self._alias_cache.pop(system_id, None)
        aliases = self._cached_aliases(system_id)
        if not aliases:
            self._require_system(system_id)
        return dict(aliases)

    def alias_history(self, system_id: str) -> list[dict[str, Any]]:
        """Past alias moves of a system, oldest first (the last ``ALIAS_HISTORY_LIMIT``)."""
        key = _aliases_key(system_id)
        return list(self._parse_aliases(key, self.backend.read(key))["history"])

    def systems(self) -> list[str]:
        """Systems with at least one stored object."""
        return sorted({key.split("/")[0] for key in self.backend.keys("") if "/" in key})

    def refresh(self, system_id: str | None = None) -> None:
        """Forget cached alias resolutions (all systems by default)."""
        if system_id is None:
            self._alias_cache.clear()
        else:
            self._alias_cache.pop(system_id, None)

    # -- helpers -------------------------------------------------------------------------

    def _ref(self, system_id: str, version: str) -> ModelRef:
        return ModelRef(system_id, version, self.backend.uri(_artifact_key(system_id, version)))

    def _highest_number(self, system_id: str) -> int:
        # Counts orphan artifacts too (a writer that died before its metadata), so a
        # half-written version number is skipped rather than reused.
        prefix = f"{system_id}/versions/"
        numbers = [
            int(match.group(1))
            for key in self.backend.keys(prefix)
            if (match := _VERSION_RE.match(key[len(prefix) :].split("/")[0]))
        ]
        return max(numbers, default=0)

    def _require_system(self, system_id: str) -> list[str]:
        versions = self.list_versions(system_id)
        if not versions:
            raise ModelStoreError(
                f"unknown system {system_id!r} in model store {self.location}; "
                f"known systems: {self.systems() or 'none'}"
            )
        return versions

    def _require_version(self, system_id: str, version: str) -> None:
        if self.backend.read(_metadata_key(system_id, version)) is None:
            versions = self._require_system(system_id)
            raise ModelStoreError(
                f"no version {version!r} for system {system_id!r}; versions: {versions}"
            )

    def _read_metadata(self, system_id: str, version: str) -> ModelMetadata:
        key = _metadata_key(system_id, version)
        uri = self.backend.uri(key)
        blob = self.backend.read(key)
        if blob is None:
            raise ModelStoreError(f"{uri}: metadata is missing")
        try:
            metadata = ModelMetadata.model_validate_json(blob.data)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or '(document)'}: {e['msg']}" for e in exc.errors()
            )
            raise ModelStoreError(f"{uri}: metadata is corrupt: {problems}") from exc
        if metadata.system_id != system_id or metadata.version != version:
            raise ModelStoreError(
                f"{uri}: metadata describes {metadata.system_id}@{metadata.version}, "
                f"not {system_id}@{version}"
            )
        return metadata

    def _cached_aliases(self, system_id: str) -> dict[str, str]:
        cached = self._alias_cache.get(system_id)
        if cached is not None and self._clock() - cached[0] < self.alias_ttl_seconds:
            return cached[1]
        key = _aliases_key(system_id)
        aliases: dict[str, str] = self._parse_aliases(key, self.backend.read(key))["aliases"]
        self._cache_aliases(system_id, aliases)
        return aliases

    def _cache_aliases(self, system_id: str, aliases: dict[str, str]) -> None:
        self._alias_cache[system_id] = (self._clock(), dict(aliases))

    def _parse_aliases(self, key: str, blob: Blob | None) -> dict[str, Any]:
        if blob is None:
            return {"aliases": {}, "history": []}
        try:
            document = json.loads(blob.data)
            aliases = document["aliases"]
            history = document.get("history", [])
            valid = isinstance(aliases, dict) and all(
                isinstance(v, str) and _VERSION_RE.match(v) for v in aliases.values()
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise ModelStoreError(
                f"{self.backend.uri(key)}: alias document is corrupt: {exc}"
            ) from exc
        if not valid or not isinstance(history, list):
            raise ModelStoreError(
                f"{self.backend.uri(key)}: alias document is corrupt: expected "
                '{"aliases": {alias: "v0001", ...}, "history": [...]}'
            )
        return {"aliases": dict(aliases), "history": history}


def open_model_store(
    settings: Settings | None = None,
    *,
    client: storage.Client | None = None,
    alias_ttl_seconds: float = 30.0,
) -> ObjectModelStore:
    """A local-directory store for a path, a Cloud Storage one for ``gs://BUCKET/PREFIX``."""
    target = (settings or get_settings()).model_store
    if target.startswith(GCS_PREFIX):
        from strikeouts.models.gcs_store import GcsObjects

        bucket, _, prefix = target[len(GCS_PREFIX) :].partition("/")
        if not bucket:
            raise ModelStoreError(f"model_store {target!r}: expected gs://BUCKET/PREFIX")
        backend: ObjectBackend = GcsObjects(bucket, prefix, client=client)
    else:
        from strikeouts.models.local_store import LocalObjects

        backend = LocalObjects(target)
    return ObjectModelStore(backend, alias_ttl_seconds=alias_ttl_seconds)
