"""The shared Cloud Function entry: Pub/Sub CloudEvent in, platform outcome out.

Outcome mapping (the contract every function in ``functions/`` keeps):

- handled → return (HTTP 2xx, Pub/Sub acknowledges);
- permanent failure (bad envelope, schema-invalid, unknown system ...) → recorded in
  ``rejected_messages`` with the raw payload and reason, then return (2xx: never retried);
- transient failure → raise (HTTP 500, Pub/Sub redelivers), until the delivery attempts
  reach ``max_delivery_attempts``: then the payload and the reason go to the dead-letter
  topic and the delivery is acknowledged (no endless retry even where the transport has
  no dead-letter policy, as in the emulator). An expected failure (a TransientError, an
  injected fault) is raised as :class:`RetryDelivery`, an HTTP 500 the framework answers
  without logging a traceback (the entry's own warning names the reason); any other
  exception propagates as it is, its traceback logged by the framework.

Everything expensive (clients, warehouse, models) is created lazily, once per instance
(:mod:`strikeouts.cloud.services`), and messages this delivery published are flushed before
it is acknowledged.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

import structlog
from werkzeug.exceptions import InternalServerError

from strikeouts.cloud.context import (
    TRACE_ATTRIBUTE,
    new_trace_id,
    set_trace_id,
    trace_resource,
)
from strikeouts.cloud.envelope import PushedMessage, pushed_message, topic_of
from strikeouts.cloud.faults import InjectedFault
from strikeouts.cloud.services import (
    FlushingPublisher,
    Services,
    configure_function_logging,
    instance_services,
    open_state_store,
)
from strikeouts.errors import StrikeoutsError
from strikeouts.logs import get_logger
from strikeouts.names import DEAD_LETTER
from strikeouts.pipeline.delivery import Handler, deliver
from strikeouts.pipeline.errors import InvalidMessage, TransientError

if TYPE_CHECKING:
    from cloudevents.http import CloudEvent

__all__ = [
    "DEAD_LETTER",
    "Entry",
    "FlushingPublisher",
    "PushedMessage",
    "Services",
    "configure_function_logging",
    "instance_services",
    "open_state_store",
    "pushed_message",
]

LABELS = ("run_id", "game_id", "pitcher_id", "system_id")
ATTRIBUTE_MAX_BYTES = 1024

Outcome = Literal["ack", "rejected", "dead-lettered"]

log = get_logger(__name__)


class RetryDelivery(StrikeoutsError, InternalServerError):
    """HTTP 500 for a delivery that failed in an expected way and will be retried.

    An HTTP error, so Flask answers it through the framework's 500 handler without logging
    the traceback it logs for an unhandled exception: formatting that traceback (Python
    parses every frame's source line for it) was 1-4% of each function's CPU under the
    benchmark's injected faults, for failures whose reason the entry logs anyway. A
    StrikeoutsError like every error of the package (one base, tests/cli/test_boundary.py)."""


# failures that are part of normal operation: retried quietly (their reason is logged)
EXPECTED_FAILURES = (TransientError, InjectedFault)


def _init_lock() -> threading.Lock:
    return threading.Lock()


class Entry:
    """One function's entry point: build the handler once, then map each delivery's outcome."""

    def __init__(
        self,
        name: str,
        build: Callable[[Services], Handler],
        services: Callable[[], Services],
        *,
        serialize: bool = False,
    ) -> None:
        self.name = name
        self._build = build
        self._services_factory = services
        self._services: Services | None = None
        self._handler: Handler | None = None
        self._init = _init_lock()
        # a handler over a single DuckDB connection must not run on two threads at once
        self._serial = threading.Lock() if serialize else None
        self.init_seconds: float | None = None

    def rebind(
        self, services: Callable[[], Services], build: Callable[[Services], Handler] | None = None
    ) -> None:
        """Use other services (and handler builder) from the next delivery on (tests, benchmarks)."""
        with self._init:
            self._services_factory = services
            self._build = build or self._build
            self._services = None
            self._handler = None

    def ready(self) -> tuple[Services, Handler]:
        """The instance's services and handler, created on first call (thread-safe)."""
        if self._handler is None or self._services is None:
            with self._init:
                if self._handler is None or self._services is None:
                    started = time.perf_counter()
                    services = self._services_factory()
                    self._handler = self._build(services)
                    self._services = services
                    self.init_seconds = time.perf_counter() - started
                    log.info("instance ready", function=self.name, init_seconds=self.init_seconds)
        return self._services, self._handler

    def __call__(self, event: CloudEvent) -> Outcome:
        """Handle one delivery; returns normally to acknowledge, raises to be redelivered."""
        services, handler = self.ready()
        structlog.contextvars.clear_contextvars()
        try:
            message = pushed_message(event)
        except InvalidMessage as exc:
            return self._reject_envelope(services, event, exc)
        trace_id = message.attributes.get(TRACE_ATTRIBUTE) or new_trace_id()
        set_trace_id(trace_id)
        structlog.contextvars.bind_contextvars(
            trace=trace_resource(services.settings.stack.gcp_project, trace_id),
            function=self.name,
            message_id=message.message_id,
            **{k: message.attributes[k] for k in LABELS if k in message.attributes},
        )
        started = time.perf_counter()
        try:
            outcome: Outcome = self._deliver(services, handler, message)
            log.info(
                "delivery handled",
                outcome=outcome,
                ms=round(1000 * (time.perf_counter() - started), 2),
                bytes=len(message.data),  # Pub/Sub bills per byte delivered (cloud_cost.py)
            )
        except Exception as exc:
            outcome = self._failed(services, message, exc)
        finally:
            # a request thread serves other deliveries next: nothing of this one may leak
            structlog.contextvars.clear_contextvars()
            set_trace_id(None)
        return outcome

    def _deliver(self, services: Services, handler: Handler, message: PushedMessage) -> Outcome:
        services.faults.before()
        if self._serial is not None:
            with self._serial:
                outcome = self._run(services, handler, message)
        else:
            outcome = self._run(services, handler, message)
        services.publisher.flush()
        services.faults.after()
        return outcome

    def _run(self, services: Services, handler: Handler, message: PushedMessage) -> Outcome:
        return deliver(
            handler,
            message.data,
            handler_name=self.name,
            topic=message.topic,
            message_id=message.message_id,
            rejections=services.rejections,
            clock=services.clock,
        )

    def _failed(self, services: Services, message: PushedMessage, exc: Exception) -> Outcome:
        reason = f"{type(exc).__name__}: {exc}"
        try:
            services.publisher.flush()  # what the handler did publish still goes out
        except Exception as flush_error:
            reason += f" (and flushing its messages failed: {flush_error})"
        scope = f"{self.name}/{message.topic or 'unknown-topic'}"
        attempt = message.delivery_attempt or services.counter.increment(scope, message.message_id)
        limit = services.config.max_delivery_attempts
        if attempt < limit:
            log.warning("delivery failed, will be retried", reason=reason[:2000], attempt=attempt)
            if isinstance(exc, EXPECTED_FAILURES):
                raise RetryDelivery(reason[:200]) from exc
            raise exc
        self._dead_letter(services, message, reason, attempt)
        return "dead-lettered"

    def _dead_letter(
        self, services: Services, message: PushedMessage, reason: str, attempt: int
    ) -> None:
        attributes = {
            **message.attributes,
            "dead_letter_reason": _clip(reason),
            "source_function": self.name,
            "source_topic": message.topic or "",
            "source_message_id": message.message_id,
            "delivery_attempts": str(attempt),
        }
        services.publisher.publish_raw(DEAD_LETTER, message.data, attributes)
        services.publisher.flush()
        log.error("message dead-lettered", reason=reason[:2000], attempts=attempt)

    def _reject_envelope(self, services: Services, event: CloudEvent, exc: Exception) -> Outcome:
        raw = json.dumps(event.data, default=str) if event.data is not None else ""
        services.rejections.reject(
            handler=self.name,
            topic=topic_of(event.get("source")),
            message_id=str(event["id"]),
            raw_payload=raw,
            reason=f"{type(exc).__name__}: {exc}",
            received_at=services.clock.now(),
        )
        log.warning("envelope rejected", function=self.name, reason=str(exc))
        return "rejected"


def _clip(text: str) -> str:
    data = text.encode()
    return (
        text
        if len(data) <= ATTRIBUTE_MAX_BYTES
        else data[: ATTRIBUTE_MAX_BYTES - 3].decode(errors="ignore") + "..."
    )
