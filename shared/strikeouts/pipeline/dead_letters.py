"""Dead letters as an operator sees them, whichever transport kept them, and how to pick some.

Invariant: a dead letter keeps its payload byte for byte and the topic it came from, so it can
be republished there after a fix (a redrive); writes are idempotent on their key, so a redrive
of a message that did get through in the end changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

LABELS = ("run_id", "game_id", "pitcher_id", "system_id")
DEAD_LETTER_ATTRIBUTES = (
    "dead_letter_reason",
    "source_function",
    "source_topic",
    "source_message_id",
    "delivery_attempts",
)
"""Attributes a dead letter carries besides the message's own (the cloud entry's names)."""
FILTER_FIELDS = ("handler", "topic", "reason", *LABELS)
"""What ``--filter FIELD=VALUE`` may name (``reason`` matches a substring, the rest exactly)."""


@dataclass(frozen=True)
class DeadLetterRecord:
    """One message that failed every delivery attempt on one handler."""

    message_id: str
    topic: str
    """The topic it was published to: where a redrive republishes it."""
    handler: str
    """The function (or subscription) whose attempts it used up."""
    reason: str
    attempts: int
    dead_lettered_at: datetime | None
    payload: bytes
    attributes: Mapping[str, str] = field(default_factory=dict)

    def labels(self) -> dict[str, str]:
        """run/game/pitcher/system ids, from the attributes or else the payload's header."""
        found = {k: self.attributes[k] for k in LABELS if self.attributes.get(k)}
        header = _header(self.payload)
        for key in LABELS:
            value = header.get(key)
            if key not in found and value is not None:
                found[key] = str(value)
        return found

    def field(self, name: str) -> str:
        """The value ``--filter`` compares for ``name`` ('' when absent)."""
        if name in ("handler", "topic", "reason"):
            return str(getattr(self, name))
        return self.labels().get(name, "")


def _header(payload: bytes) -> Mapping[str, Any]:
    try:
        message = json.loads(payload)
    except (ValueError, UnicodeDecodeError):
        return {}
    header = message.get("header") if isinstance(message, dict) else None
    labels = header if isinstance(header, dict) else message if isinstance(message, dict) else {}
    # a system result names its system next to the header
    if isinstance(message, dict) and "system_id" in message:
        labels = {**labels, "system_id": message["system_id"]}
    return labels


@dataclass(frozen=True)
class DeadLetterFilter:
    """Which dead letters a command acts on: dead-lettered since a time, and field matches."""

    since: datetime | None = None
    equals: Mapping[str, str] = field(default_factory=dict)

    def matches(self, record: DeadLetterRecord) -> bool:
        """Whether ``record`` passes every condition."""
        if self.since is not None and (
            record.dead_lettered_at is None or record.dead_lettered_at < self.since
        ):
            return False
        for name, wanted in self.equals.items():
            value = record.field(name)
            if not (wanted in value if name == "reason" else value == wanted):
                return False
        return True


def parse_filters(items: Sequence[str]) -> dict[str, str]:
    """``FIELD=VALUE`` strings → a mapping; ValueError naming the first bad one."""
    parsed: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not value:
            raise ValueError(f"--filter {item!r} is not FIELD=VALUE")
        if name not in FILTER_FIELDS:
            raise ValueError(
                f"--filter {item!r}: unknown field {name!r} (one of {', '.join(FILTER_FIELDS)})"
            )
        parsed[name] = value
    return parsed
