"""Small typed readers over decoded JSON: a missing or mistyped field raises :class:`Bad`.

Invariant: a reader returns the value in the type asked for or raises ``Bad`` naming the
dotted path and the value found, so an adapter turns it into one :class:`Problem`.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from strikeouts.errors import StrikeoutsError
from strikeouts.sources.ports import Problem


class Bad(StrikeoutsError, ValueError):
    """A field that is missing or not of the expected kind."""

    def __init__(self, path: str, value: Any, reason: str) -> None:
        super().__init__(f"{path} = {value!r}: {reason}")
        self.path = path
        self.value = value
        self.reason = reason


_MISSING = object()


def at(data: Any, path: str) -> Any:
    """The value at a dotted ``path`` (``teams.home.team.name``); raises Bad when absent."""
    node = data
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            raise Bad(path, None, "missing")
        node = node[part]
    return node


def opt(data: Any, path: str) -> Any:
    """The value at ``path`` or None when any part is absent."""
    try:
        return at(data, path)
    except Bad:
        return None


def integer(data: Any, path: str, *, minimum: int | None = 0) -> int:
    """A whole number (JSON int, or a numeric string) at ``path``."""
    value = at(data, path)
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise Bad(path, value, "not an integer")
    try:
        number = int(value)
    except ValueError:
        raise Bad(path, value, "not an integer") from None
    if minimum is not None and number < minimum:
        raise Bad(path, value, f"below {minimum}")
    return number


def opt_integer(data: Any, path: str) -> int | None:
    """An optional non-negative whole number at ``path``."""
    return None if opt(data, path) is None else integer(data, path)


def text(data: Any, path: str) -> str:
    """A non-empty string at ``path``."""
    value = at(data, path)
    if not isinstance(value, str) or not value.strip():
        raise Bad(path, value, "not a non-empty string")
    return value.strip()


def timestamp(data: Any, path: str) -> dt.datetime:
    """An ISO-8601 UTC time (``2025-07-05T01:11:00Z``) at ``path``, as an aware datetime."""
    value = text(data, path)
    try:
        stamp = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Bad(path, value, "not an ISO-8601 time") from None
    if stamp.tzinfo is None:
        raise Bad(path, value, "time without a UTC offset")
    return stamp.astimezone(dt.UTC)


def date(data: Any, path: str) -> dt.date:
    """A ``YYYY-MM-DD`` date at ``path``."""
    value = text(data, path)
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise Bad(path, value, "not a YYYY-MM-DD date") from None


def raw(data: Any) -> str:
    """Compact JSON of an input item, kept with its rejection."""
    return json.dumps(data, sort_keys=True, default=str)[:20_000]


def problem(url: str, index: int, exc: Bad, item: Any) -> Problem:
    """The :class:`Problem` recording ``exc`` for the ``index``-th item of ``url``."""
    value = None if exc.value is None else str(exc.value)
    return Problem(url, index, exc.path, value, exc.reason, raw(item))
