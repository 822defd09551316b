"""The model store's public face: open one from the settings; the names callers import.

The store itself is :class:`~strikeouts.models.object_store.ObjectModelStore` (its invariants
are stated there); names live in :mod:`~strikeouts.models.refs`, the alias document in
:mod:`~strikeouts.models.aliases`. Invariant: one store per location type — a path opens the
local-directory backend, ``gs://BUCKET/PREFIX`` the Cloud Storage one, both with the settings'
alias TTL unless told otherwise.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from strikeouts.models.aliases import ALIAS_HISTORY_LIMIT
from strikeouts.models.object_store import ObjectModelStore
from strikeouts.models.ports import ModelStore, ObjectBackend
from strikeouts.models.refs import (
    CHALLENGER,
    DEFAULT_ALIAS,
    GCS_PREFIX,
    LATEST,
    Blob,
    LoadedModel,
    ModelRef,
    ModelSpec,
    ModelStoreError,
    format_version,
    parse_model_ref,
    sha256_hex,
    version_number,
)
from strikeouts.settings import Settings, get_settings

if TYPE_CHECKING:
    import google.cloud.storage as storage

__all__ = [
    "ALIAS_HISTORY_LIMIT",
    "CHALLENGER",
    "DEFAULT_ALIAS",
    "GCS_PREFIX",
    "LATEST",
    "Blob",
    "LoadedModel",
    "ModelRef",
    "ModelSpec",
    "ModelStore",
    "ModelStoreError",
    "ObjectBackend",
    "ObjectModelStore",
    "format_version",
    "open_model_store",
    "parse_model_ref",
    "sha256_hex",
    "version_number",
]


def open_model_store(
    settings: Settings | None = None,
    *,
    client: storage.Client | None = None,
    alias_ttl_seconds: float | None = None,
) -> ObjectModelStore:
    """A local-directory store for a path, a Cloud Storage one for ``gs://BUCKET/PREFIX``."""
    settings = settings or get_settings()
    target = settings.model_store
    if target.startswith(GCS_PREFIX):
        from strikeouts.models.gcs_store import GcsObjects

        bucket, _, prefix = target[len(GCS_PREFIX) :].partition("/")
        if not bucket:
            raise ModelStoreError(f"model_store {target!r}: expected gs://BUCKET/PREFIX")
        backend: ObjectBackend = GcsObjects(bucket, prefix, client=client)
    else:
        from strikeouts.models.local_store import LocalObjects

        backend = LocalObjects(target)
    ttl = settings.alias_ttl_seconds if alias_ttl_seconds is None else alias_ttl_seconds
    return ObjectModelStore(backend, alias_ttl_seconds=ttl)
