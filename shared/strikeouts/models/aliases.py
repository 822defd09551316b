"""A system's alias document: the current alias → version map and the history of its moves.

Invariants: the document is only ever replaced whole by compare-and-swap (see
:class:`~strikeouts.models.object_store.ObjectModelStore`); every change of an alias (a move,
or a removal: ``version`` None) appends one history entry naming the version it replaced, so a
rollback can always say where an alias was before; the history keeps the last
``ALIAS_HISTORY_LIMIT`` entries.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from strikeouts.models.ports import ObjectBackend
from strikeouts.models.refs import VERSION_RE, ModelStoreError

ALIAS_HISTORY_LIMIT = 200
UNCHECKED: Any = object()
"""``expected`` of a change that does not care where the alias pointed before."""


@dataclass
class AliasDocument:
    """The parsed ``aliases.json`` of one system."""

    aliases: dict[str, str] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)

    def with_change(self, alias: str, version: str | None) -> AliasDocument:
        """A copy with ``alias`` moved to ``version`` (None: removed) and the move recorded."""
        aliases = dict(self.aliases)
        previous = aliases.pop(alias, None)
        if version is not None:
            aliases[alias] = version
        entry = {
            "alias": alias,
            "version": version,
            "previous": previous,
            "at": datetime.now(UTC).isoformat(),
        }
        return AliasDocument(aliases, [*self.history, entry][-ALIAS_HISTORY_LIMIT:])

    def encode(self) -> bytes:
        """The document as stored."""
        return json.dumps(
            {"aliases": self.aliases, "history": self.history}, indent=2, sort_keys=True
        ).encode()


def parse_aliases(uri: str, data: bytes | None) -> AliasDocument:
    """The document in ``data`` (empty when None); ModelStoreError naming ``uri`` if corrupt."""
    if data is None:
        return AliasDocument()
    try:
        document = json.loads(data)
        aliases = document["aliases"]
        history = document.get("history", [])
        valid = isinstance(aliases, dict) and all(
            isinstance(v, str) and VERSION_RE.match(v) for v in aliases.values()
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise ModelStoreError(f"{uri}: alias document is corrupt: {exc}") from exc
    if not valid or not isinstance(history, list):
        raise ModelStoreError(
            f"{uri}: alias document is corrupt: expected "
            '{"aliases": {alias: "v0001", ...}, "history": [...]}'
        )
    return AliasDocument(dict(aliases), list(history))


def previous_version(history: list[dict[str, Any]], alias: str) -> str | None:
    """The version ``alias`` pointed at before its last move (None: it had none)."""
    for entry in reversed(history):
        if entry.get("alias") == alias:
            previous = entry.get("previous")
            return previous if isinstance(previous, str) else None
    return None


def change_alias(
    backend: ObjectBackend,
    key: str,
    alias: str,
    version: str | None,
    expected: str | None = UNCHECKED,
    max_attempts: int = 20,
) -> tuple[str | None, dict[str, str]]:
    """Move ``alias`` to ``version`` (None: remove it) in the document at ``key`` by
    compare-and-swap, retrying lost races; (the version it pointed at, the aliases after).

    ``expected``: refuse (ModelStoreError) unless the alias points there when read. A change
    to where the alias already points writes nothing (and records nothing)."""
    for attempt in range(max_attempts):
        current = backend.read(key)
        document = parse_aliases(backend.uri(key), current.data if current else None)
        previous = document.aliases.get(alias)
        if expected is not UNCHECKED and previous != expected:
            raise ModelStoreError(
                f"{backend.uri(key)}: alias {alias!r} points at {previous or 'nothing'}, "
                f"not {expected or 'nothing'} (moved meanwhile?)"
            )
        if previous == version:
            return previous, document.aliases
        changed = document.with_change(alias, version)
        if backend.swap(key, changed.encode(), current.token if current else None):
            return previous, changed.aliases
        # Lost a race: back off with jitter so the writers stop colliding.
        time.sleep(min(0.5, 0.005 * 2**attempt) * random.random())
    raise ModelStoreError(
        f"{backend.uri(key)}: alias {alias!r} not updated after "
        f"{max_attempts} concurrent-update conflicts"
    )
