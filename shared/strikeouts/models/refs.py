"""Names in the model store: systems, versions, aliases, object keys, and the values they resolve to.

Invariant: every name reaching a backend has been checked here (a system id, ``v0001``-style
version, lowercase alias), so a key can never escape its system's prefix.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from strikeouts.errors import StrikeoutsError
from strikeouts.models.metadata import ModelMetadata
from strikeouts.names import CHAMPION

GCS_PREFIX = "gs://"
DEFAULT_ALIAS = CHAMPION
LATEST = "latest"
"""Pseudo-alias for the highest version; it cannot be set."""

SYSTEM_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
VERSION_RE = re.compile(r"^v(\d{4,})$")
ALIAS_RE = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")


class ModelStoreError(StrikeoutsError, RuntimeError):
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


def parse_model_ref(text: str) -> ModelSpec:
    """``v1_baseline@champion`` → (v1_baseline, champion); a bare system means its champion."""
    system_id, sep, ref = text.strip().partition("@")
    if not sep:
        ref = DEFAULT_ALIAS
    check_system(system_id)
    if not (VERSION_RE.match(ref) or ALIAS_RE.match(ref)):
        raise ModelStoreError(
            f"model ref {text!r}: {ref!r} is neither an alias (e.g. 'champion') "
            "nor a version (e.g. 'v0003')"
        )
    return ModelSpec(system_id, ref)


def version_number(version: str) -> int:
    """``v0007`` → 7."""
    match = VERSION_RE.match(version)
    if not match:
        raise ModelStoreError(f"version {version!r} is not of the form 'v0001'")
    return int(match.group(1))


def is_version(ref: str) -> bool:
    """Whether ``ref`` names a version (``v0003``) rather than an alias."""
    return VERSION_RE.match(ref) is not None


def format_version(number: int) -> str:
    """7 → ``v0007``."""
    return f"v{number:04d}"


def sha256_hex(data: bytes) -> str:
    """Hex sha256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def check_system(system_id: str) -> None:
    """ModelStoreError unless ``system_id`` is a valid system id."""
    if not SYSTEM_RE.match(system_id):
        raise ModelStoreError(
            f"system_id {system_id!r} must be 1-64 letters, digits, '_', '.' or '-'"
        )


def check_alias(alias: str) -> None:
    """ModelStoreError unless ``alias`` can be set (not a version, not ``latest``)."""
    if not ALIAS_RE.match(alias) or VERSION_RE.match(alias) or alias == LATEST:
        raise ModelStoreError(
            f"alias {alias!r} must be lowercase letters, digits, '_' or '-', start with a "
            f"letter, and be neither a version nor {LATEST!r}"
        )


def artifact_key(system_id: str, version: str) -> str:
    """Key of a version's artifact."""
    return f"{system_id}/versions/{version}/model.ubj"


def metadata_key(system_id: str, version: str) -> str:
    """Key of a version's metadata."""
    return f"{system_id}/versions/{version}/metadata.json"


def aliases_key(system_id: str) -> str:
    """Key of a system's alias document."""
    return f"{system_id}/aliases.json"
