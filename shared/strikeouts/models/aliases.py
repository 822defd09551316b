"""A system's alias document: the current alias → version map and the history of its moves.

Invariants: the document is only ever replaced whole by compare-and-swap (see
:class:`~strikeouts.models.object_store.ObjectModelStore`); every change of an alias (a move,
or a removal: ``version`` None) appends one history entry naming the version it replaced, so a
rollback can always say where an alias was before; the history keeps the last
``ALIAS_HISTORY_LIMIT`` entries.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from strikeouts.models.refs import VERSION_RE, ModelStoreError

ALIAS_HISTORY_LIMIT = 200


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
