"""A push delivery's envelope: the Pub/Sub message a CloudEvent carries, parsed once.

Invariant: whatever is wrong with an envelope (no message object, data not base64) is an
InvalidMessage naming it, so the entry can reject it permanently instead of retrying.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from strikeouts.pipeline.errors import InvalidMessage

if TYPE_CHECKING:
    from cloudevents.http import CloudEvent


@dataclass(frozen=True)
class PushedMessage:
    """One Pub/Sub message as a push delivery carries it."""

    data: bytes
    attributes: dict[str, str]
    message_id: str
    topic: str | None = None
    subscription: str | None = None
    delivery_attempt: int | None = None


def topic_of(source: str | None) -> str | None:
    if source and "/topics/" in source:
        return source.rsplit("/topics/", 1)[1].split("/")[0] or None
    return None


def pushed_message(event: CloudEvent) -> PushedMessage:
    """The Pub/Sub message inside a CloudEvent; InvalidMessage naming what is missing."""
    body = event.data
    if not isinstance(body, Mapping) or not isinstance(body.get("message"), Mapping):
        raise InvalidMessage(f"CloudEvent data has no Pub/Sub 'message' object: {str(body)[:200]}")
    message = body["message"]
    message_id = message.get("messageId") or message.get("message_id") or event["id"]
    try:
        data = base64.b64decode(message.get("data") or "", validate=True)
    except (binascii.Error, ValueError, TypeError) as exc:
        raise InvalidMessage(f"message {message_id}: $.message.data is not base64: {exc}") from None
    attempt = body.get("deliveryAttempt") or message.get("deliveryAttempt")
    return PushedMessage(
        data=data,
        attributes={str(k): str(v) for k, v in (message.get("attributes") or {}).items()},
        message_id=str(message_id),
        topic=topic_of(event.get("source")),
        subscription=body.get("subscription"),
        delivery_attempt=int(attempt) if attempt else None,
    )
