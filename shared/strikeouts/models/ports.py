"""What the model store is made of and what it offers: the object backend and store Protocols.

Invariant: a backend's ``create`` never overwrites and its ``swap`` replaces only the version
its caller read, so the store above it keeps versions immutable and alias moves lossless.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from strikeouts.models.metadata import ModelMetadata
from strikeouts.models.refs import Blob, LoadedModel, ModelRef


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

    def remove_alias(self, system_id: str, alias: str) -> str | None:
        """Remove ``alias`` (recorded in the history); the version it named, None if unset."""
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

    def lookup(self, system_id: str, alias: str) -> str | None:
        """The version ``alias`` points at (cached up to the alias TTL), None when unset."""
        ...

    def systems(self) -> list[str]:
        """Systems with at least one stored object."""
        ...

    def refresh(self, system_id: str | None = None) -> None:
        """Forget cached alias resolutions (all systems by default)."""
        ...
