"""Test doubles for the cloud entry: a flushing publisher that records, CloudEvent requests."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from strikeouts.cloud.context import TRACE_ATTRIBUTE, current_trace_id
from strikeouts.devstack.push import push_body, push_headers
from strikeouts.pipeline.bus import TOPIC_KINDS
from strikeouts.pipeline.messages import encode


@dataclass
class Sent:
    topic: str
    data: bytes
    attributes: dict[str, str]

    @property
    def message(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.data)
        return parsed


@dataclass
class FlushRecorder:
    """A FlushingPublisher that keeps flushed messages; ``fail_flushes`` makes flushes raise."""

    sent: list[Sent] = field(default_factory=list)
    pending: list[Sent] = field(default_factory=list)
    fail_flushes: int = 0

    def publish(
        self, topic: str, message: Mapping[str, Any], attributes: Mapping[str, str] | None = None
    ) -> str:
        kind = TOPIC_KINDS.get(topic)
        data = encode(kind, message) if kind else json.dumps(message).encode()
        return self.publish_raw(topic, data, attributes)

    def publish_raw(
        self, topic: str, data: bytes, attributes: Mapping[str, str] | None = None
    ) -> str:
        attrs = dict(attributes or {})
        attrs.setdefault(TRACE_ATTRIBUTE, current_trace_id() or "no-trace")
        self.pending.append(Sent(topic, data, attrs))
        return str(len(self.sent) + len(self.pending))

    def flush(self) -> list[str]:
        if self.fail_flushes > 0:
            self.fail_flushes -= 1
            self.pending.clear()
            raise ConnectionError("pubsub unavailable (injected by the test)")
        self.sent.extend(self.pending)
        ids = [str(i) for i in range(len(self.sent) - len(self.pending), len(self.sent))]
        self.pending.clear()
        return ids

    def on(self, topic: str) -> list[Sent]:
        return [s for s in self.sent if s.topic == topic]


def post(
    client: Any,
    topic: str,
    data: bytes,
    attributes: Mapping[str, str] | None = None,
    message_id: str | None = None,
) -> Any:
    """POST one push delivery to a functions-framework test client."""
    body = push_body(data, attributes, message_id)
    return client.post(
        "/", headers=push_headers(topic, body["message"]["messageId"]), data=json.dumps(body)
    )


CREATED = dt.datetime(2025, 6, 10, 9, 0, tzinfo=dt.UTC)


def prediction_row(
    pitcher_id: int, system_id: str = "v1_baseline", **overrides: Any
) -> dict[str, Any]:
    """A valid ``pitcher_strikeout_predictions`` row of 2025-06-10 (keys vary with the args)."""
    base = {
        "run_id": "run-1",
        "game_id": f"NYA20250610{pitcher_id % 10}",
        "pitcher_id": pitcher_id,
        "system_id": system_id,
        "game_date": dt.date(2025, 6, 10),
        "team": "NYA",
        "opponent": "BOS",
        "is_home": True,
        "predicted_strikeouts": 5.25,
        "red_flags": ["short_rest"],
        "status": "ok",
        "contributing_systems": [],
        "missing_systems": [],
        "run_created_at": CREATED,
        "created_at": CREATED,
    }
    return {**base, **overrides}
