"""The model store's public face: the names callers import (``strikeouts.adapters`` opens one).

The store itself is :class:`~strikeouts.models.object_store.ObjectModelStore` (its invariants
are stated there); names live in :mod:`~strikeouts.models.refs`, the alias document in
:mod:`~strikeouts.models.aliases`. Invariant: one store per location type — a path opens the
local-directory backend, ``gs://BUCKET/PREFIX`` the Cloud Storage one, both with the settings'
alias TTL unless told otherwise.
"""

from __future__ import annotations

from strikeouts.models.aliases import ALIAS_HISTORY_LIMIT
from strikeouts.models.object_store import ObjectModelStore
from strikeouts.models.ports import ModelStore, ObjectBackend
from strikeouts.models.refs import (
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
from strikeouts.names import CHALLENGER

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
    "parse_model_ref",
    "sha256_hex",
    "version_number",
]
