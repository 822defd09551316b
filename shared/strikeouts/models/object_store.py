"""The model store over any object backend: immutable numbered versions, movable aliases.

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

import time
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from strikeouts.models.aliases import UNCHECKED, AliasDocument, change_alias, parse_aliases
from strikeouts.models.metadata import ModelMetadata
from strikeouts.models.ports import ObjectBackend
from strikeouts.models.refs import (
    ALIAS_RE,
    LATEST,
    VERSION_RE,
    LoadedModel,
    ModelRef,
    ModelStoreError,
    aliases_key,
    artifact_key,
    check_alias,
    check_system,
    format_version,
    metadata_key,
    sha256_hex,
    version_number,
)


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
        check_system(system_id)
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
            if not self.backend.create(artifact_key(system_id, version), artifact):
                continue  # another writer claimed this number first
            stored = metadata.model_copy(
                update={
                    "version": version,
                    "artifact_sha256": digest,
                    "artifact_bytes": len(artifact),
                }
            )
            key = metadata_key(system_id, version)
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
        self.move_alias(system_id, alias, version)
        return self._ref(system_id, version)

    def move_alias(
        self, system_id: str, alias: str, version: str, *, expected: str | None = UNCHECKED
    ) -> str | None:
        """Point ``alias`` at an existing ``version``; the version it pointed at before.

        With ``expected`` (a version, or None for "unset"), only while the alias still points
        there (ModelStoreError otherwise): a concurrent move is never overwritten blindly."""
        check_system(system_id)
        check_alias(alias)
        version_number(version)
        self._require_version(system_id, version)
        return self._change(system_id, alias, version, expected)

    def remove_alias(
        self, system_id: str, alias: str, *, expected: str | None = UNCHECKED
    ) -> str | None:
        """Remove ``alias`` (recorded in the history); the version it pointed at, or None if
        it was not set. ``expected`` as in :meth:`move_alias`."""
        check_system(system_id)
        check_alias(alias)
        return self._change(system_id, alias, None, expected)

    def _change(
        self, system_id: str, alias: str, version: str | None, expected: str | None
    ) -> str | None:
        key = aliases_key(system_id)
        previous, aliases = change_alias(
            self.backend, key, alias, version, expected, self.max_attempts
        )
        self._cache_aliases(system_id, aliases)
        return previous

    # -- reading -------------------------------------------------------------------------

    def resolve(self, system_id: str, ref: str) -> ModelRef:
        """The version an alias (or explicit version, or ``latest``) names."""
        check_system(system_id)
        if VERSION_RE.match(ref):
            if (system_id, ref) not in self._models:
                self._require_version(system_id, ref)
            return self._ref(system_id, ref)
        if ref == LATEST:
            versions = self._require_system(system_id)
            return self._ref(system_id, versions[-1])
        if not ALIAS_RE.match(ref):
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

    def lookup(self, system_id: str, alias: str) -> str | None:
        """The version ``alias`` points at as of at most ``alias_ttl_seconds`` ago, None when
        unset (an unset alias is cached too: serving asks on every message)."""
        check_system(system_id)
        return self._cached_aliases(system_id).get(alias)

    def load(self, system_id: str, ref: str) -> LoadedModel:
        """The verified artifact and metadata of an alias or version (cached per version)."""
        version = self.resolve(system_id, ref).version
        cached = self._models.get((system_id, version))
        if cached is not None:
            return cached
        metadata = self.metadata(system_id, version)
        key = artifact_key(system_id, version)
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
        check_system(system_id)
        prefix = f"{system_id}/versions/"
        versions = {
            key[len(prefix) :].split("/")[0]
            for key in self.backend.keys(prefix)
            if key.endswith("/metadata.json")
        }
        return sorted((v for v in versions if VERSION_RE.match(v)), key=version_number)

    def aliases(self, system_id: str) -> dict[str, str]:
        """Current alias → version map of a system, read fresh."""
        check_system(system_id)
        self._alias_cache.pop(system_id, None)
        aliases = self._cached_aliases(system_id)
        if not aliases:
            self._require_system(system_id)
        return dict(aliases)

    def alias_history(self, system_id: str) -> list[dict[str, Any]]:
        """Past alias changes of a system, oldest first (the last ``ALIAS_HISTORY_LIMIT``)."""
        return list(self._document(system_id).history)

    def systems(self) -> list[str]:
        """Systems with at least one stored object."""
        return sorted({key.split("/")[0] for key in self.backend.keys("") if "/" in key})

    def refresh(self, system_id: str | None = None) -> None:
        """Forget cached alias resolutions (all systems by default)."""
        if system_id is None:
            self._alias_cache.clear()
        else:
            self._alias_cache.pop(system_id, None)

    def metadata(self, system_id: str, version: str) -> ModelMetadata:
        """The verified metadata of one version (ModelStoreError naming what is wrong)."""
        key = metadata_key(system_id, version)
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

    # -- helpers -------------------------------------------------------------------------

    def _ref(self, system_id: str, version: str) -> ModelRef:
        return ModelRef(system_id, version, self.backend.uri(artifact_key(system_id, version)))

    def _highest_number(self, system_id: str) -> int:
        # Counts orphan artifacts too (a writer that died before its metadata), so a
        # half-written version number is skipped rather than reused.
        prefix = f"{system_id}/versions/"
        numbers = [
            int(match.group(1))
            for key in self.backend.keys(prefix)
            if (match := VERSION_RE.match(key[len(prefix) :].split("/")[0]))
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
        if self.backend.read(metadata_key(system_id, version)) is None:
            versions = self._require_system(system_id)
            raise ModelStoreError(
                f"no version {version!r} for system {system_id!r}; versions: {versions}"
            )

    def _document(self, system_id: str) -> AliasDocument:
        key = aliases_key(system_id)
        blob = self.backend.read(key)
        return parse_aliases(self.backend.uri(key), blob.data if blob else None)

    def _cached_aliases(self, system_id: str) -> dict[str, str]:
        cached = self._alias_cache.get(system_id)
        if cached is not None and self._clock() - cached[0] < self.alias_ttl_seconds:
            return cached[1]
        aliases = self._document(system_id).aliases
        self._cache_aliases(system_id, aliases)
        return aliases

    def _cache_aliases(self, system_id: str, aliases: dict[str, str]) -> None:
        self._alias_cache[system_id] = (self._clock(), dict(aliases))
