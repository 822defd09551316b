"""The HTTP request a Pub/Sub push subscription (through Eventarc) makes to a function.

Binary-mode CloudEvent: ``ce-*`` headers and the Pub/Sub push body (base64 data, attributes,
message id, publish time). Used to deliver one real message to one function directly, e.g. to
time a fresh instance's first request without the rest of the stack reacting first.
"""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any

DEFAULT_PROJECT = "strikeouts-local"
MESSAGE_PUBLISHED = "google.cloud.pubsub.topic.v1.messagePublished"


def push_headers(topic: str, message_id: str, project: str = DEFAULT_PROJECT) -> dict[str, str]:
    """Binary-mode CloudEvent headers of a Pub/Sub push (as Eventarc sends them)."""
    return {
        "ce-id": message_id,
        "ce-specversion": "1.0",
        "ce-type": MESSAGE_PUBLISHED,
        "ce-source": f"//pubsub.googleapis.com/projects/{project}/topics/{topic}",
        "Content-Type": "application/json",
    }


def push_body(
    data: bytes,
    attributes: Mapping[str, str] | None = None,
    message_id: str | None = None,
    subscription: str = f"projects/{DEFAULT_PROJECT}/subscriptions/direct",
) -> dict[str, Any]:
    """The Pub/Sub push body carrying ``data``."""
    return {
        "message": {
            "data": base64.b64encode(data).decode(),
            "attributes": dict(attributes or {}),
            "messageId": message_id or uuid.uuid4().hex[:12],
            "publishTime": dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z"),
        },
        "subscription": subscription,
    }
