"""The acknowledgement policy every transport shares.

A handler that returns is acknowledged. A PermanentError is acknowledged too and recorded
in the rejection sink with the raw payload and reason, so poison messages are never retried.
Anything else propagates: the transport retries it and, after its attempts, dead-letters it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from strikeouts.logs import get_logger
from strikeouts.pipeline.clock import Clock
from strikeouts.pipeline.errors import PermanentError
from strikeouts.pipeline.ports import RejectionSink

Handler = Callable[[bytes], Any]
Outcome = Literal["ack", "rejected"]

log = get_logger(__name__)


def deliver(
    handler: Handler,
    payload: bytes,
    *,
    handler_name: str,
    topic: str | None,
    message_id: str | None,
    rejections: RejectionSink,
    clock: Clock,
) -> Outcome:
    """Run ``handler`` on ``payload``; record and acknowledge permanent failures."""
    try:
        handler(payload)
    except PermanentError as exc:
        reason = f"{type(exc).__name__}: {exc}"
        log.warning("message rejected", handler=handler_name, topic=topic, reason=reason)
        rejections.reject(
            handler=handler_name,
            topic=topic,
            message_id=message_id,
            raw_payload=payload,
            reason=reason,
            received_at=clock.now(),
        )
        return "rejected"
    return "ack"
