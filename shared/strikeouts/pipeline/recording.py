"""A Publisher that keeps what it is given: fanout without a transport (quotes, tests)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class RecordingPublisher:
    """:class:`~strikeouts.pipeline.ports.Publisher` keeping each message in ``sent``."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def publish(
        self, topic: str, message: Mapping[str, Any], attributes: Mapping[str, str] | None = None
    ) -> str:
        """Keep a copy of ``message``; returns its position as the message id."""
        self.sent.append(dict(message))
        return str(len(self.sent))
