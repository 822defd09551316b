"""Promotion, rollback and shadowing: moving a system's aliases over its stored versions.

Invariants: every move goes through the store's compare-and-swap and is recorded in the
alias history (so it can be rolled back); a rollback moves the champion only from the version
its last recorded move set (``expected``), so two operators never undo each other's move
blindly; the champion can be moved, never removed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from strikeouts.models.aliases import previous_version
from strikeouts.models.object_store import ObjectModelStore
from strikeouts.models.refs import DEFAULT_ALIAS, ModelStoreError, is_version
from strikeouts.names import CHALLENGER


@dataclass(frozen=True)
class AliasMove:
    """What one promotion, rollback or clear did (``version`` None: the alias was removed)."""

    system_id: str
    alias: str
    previous: str | None
    version: str | None

    @property
    def changed(self) -> bool:
        """False when the alias already pointed there (nothing written)."""
        return self.previous != self.version

    def __str__(self) -> str:
        return (
            f"{self.system_id}@{self.alias}: {self.previous or '(unset)'} → "
            f"{self.version or '(unset)'}"
        )


def target_version(store: ObjectModelStore, system_id: str, to: str) -> str:
    """``to`` as a version: a version as given (it must exist), an alias (e.g. ``challenger``)
    as it points now."""
    if is_version(to):
        return store.resolve(system_id, to).version
    store.refresh(system_id)
    return store.resolve(system_id, to).version


def promote(
    store: ObjectModelStore, system_id: str, to: str, alias: str = DEFAULT_ALIAS
) -> AliasMove:
    """Point ``alias`` (default the champion) at ``to`` (a version, or an alias's version)."""
    version = target_version(store, system_id, to)
    previous = store.move_alias(system_id, alias, version)
    return AliasMove(system_id, alias, previous, version)


def rollback(store: ObjectModelStore, system_id: str, to: str | None = None) -> AliasMove:
    """Move the champion back to where it pointed before its last move (or to ``to``)."""
    current = store.aliases(system_id).get(DEFAULT_ALIAS)
    if to is not None:
        version = target_version(store, system_id, to)
    else:
        found = previous_version(store.alias_history(system_id), DEFAULT_ALIAS)
        if found is None:
            raise ModelStoreError(
                f"{system_id}: no earlier champion in the alias history to roll back to "
                f"(champion is {current or 'unset'}); name one with --to VERSION"
            )
        version = found
    previous = store.move_alias(system_id, DEFAULT_ALIAS, version, expected=current)
    return AliasMove(system_id, DEFAULT_ALIAS, previous, version)


def clear(store: ObjectModelStore, system_id: str, alias: str = CHALLENGER) -> AliasMove:
    """Remove ``alias`` (ends shadowing when it is the challenger); never the champion."""
    if alias == DEFAULT_ALIAS:
        raise ModelStoreError(
            f"{system_id}: the champion cannot be cleared (move it with promote or rollback)"
        )
    store.aliases(system_id)  # an unknown system is named, not silently "cleared"
    previous = store.remove_alias(system_id, alias)
    return AliasMove(system_id, alias, previous, None)


def version_rows(store: ObjectModelStore, system_id: str) -> list[dict[str, Any]]:
    """One row per stored version: its metadata summary and the aliases naming it."""
    aliases = store.aliases(system_id)
    rows = []
    for version in store.list_versions(system_id):
        meta = store.metadata(system_id, version)
        rows.append(
            {
                "version": version,
                "aliases": sorted(a for a, v in aliases.items() if v == version),
                "train_end": meta.train_end,
                "n_train_rows": meta.n_train_rows,
                "validation_mae": meta.validation_metrics.get("mae"),
                "created_at": meta.created_at,
            }
        )
    return rows
