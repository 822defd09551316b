"""The shared Cloud Function entry: Pub/Sub CloudEvent in, platform outcome out.

Outcome mapping (the contract every function in ``functions/`` keeps):

- handled → return (HTTP 2xx, Pub/Sub acknowledges);
- permanent failure (bad envelope, schema-invalid, unknown system ...) → recorded in
  ``rejected_messages`` with the raw payload and reason, then return (2xx: never retried);
- transient failure → raise (HTTP 500, Pub/Sub redelivers), until the delivery attempts
  reach ``max_delivery_attempts``: then the payload and the reason go to the dead-letter
  topic and the delivery is acknowledged (no endless retry even where the transport has
  no dead-letter policy, as in the emulator).

Everything expensive (clients, warehouse, models) is created lazily, once per instance, and
messages this delivery published are flushed before it is acknowledged.
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal, Protocol

import structlog

from strikeouts.cloud.attempts import AttemptCounter, MemoryAttemptCounter
from strikeouts.cloud.context import (
    TRACE_ATTRIBUTE,
    new_trace_id,
    set_trace_id,
    trace_resource,
)
from strikeouts.cloud.faults import FaultInjector
from strikeouts.logs import configure, get_logger
from strikeouts.pipeline.clock import Clock, SystemClock
from strikeouts.pipeline.config import PipelineConfig
from strikeouts.pipeline.delivery import Handler, deliver
from strikeouts.pipeline.errors import InvalidMessage
from strikeouts.pipeline.ports import AggregationStateStore, RejectionSink
from strikeouts.settings import Settings, get_settings

if TYPE_CHECKING:
    from cloudevents.http import CloudEvent

    from strikeouts.warehouse.base import Warehouse

DEAD_LETTER = "dead-letter"
LABELS = ("run_id", "game_id", "pitcher_id", "system_id")
ATTRIBUTE_MAX_BYTES = 1024

Outcome = Literal["ack", "rejected", "dead-lettered"]

log = get_logger(__name__)


class FlushingPublisher(Protocol):
    """What the entry needs of a publisher: the Publisher port plus raw publish and flush."""

    def publish(
        self, topic: str, message: Mapping[str, Any], attributes: Mapping[str, str] | None = None
    ) -> str:
        """Validate and enqueue one message."""
        ...

    def publish_raw(
        self, topic: str, data: bytes, attributes: Mapping[str, str] | None = None
    ) -> str:
        """Enqueue raw bytes."""
        ...

    def flush(self) -> list[str]:
        """Wait until everything this thread enqueued is published."""
        ...


@dataclass(frozen=True)
class PushedMessage:
    """One Pub/Sub message as a push delivery carries it."""

    data: bytes
    attributes: dict[str, str]
    message_id: str
    topic: str | None = None
    subscription: str | None = None
    delivery_attempt: int | None = None


def _topic_of(source: str | None) -> str | None:
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
        topic=_topic_of(event.get("source")),
        subscription=body.get("subscription"),
        delivery_attempt=int(attempt) if attempt else None,
    )


@dataclass
class Services:
    """The clients and adapters of one function instance, each created on first use."""

    settings: Settings
    publisher: FlushingPublisher
    config: PipelineConfig = field(default_factory=PipelineConfig)
    clock: Clock = field(default_factory=SystemClock)
    counter: AttemptCounter = field(default_factory=MemoryAttemptCounter)
    faults: FaultInjector = field(default_factory=FaultInjector)
    warehouse_factory: Callable[[Settings], Warehouse] | None = None
    state_factory: Callable[[Settings], AggregationStateStore] | None = None

    @cached_property
    def warehouse(self) -> Warehouse:
        """The warehouse the sinks write to (BigQuery in the cloud)."""
        if self.warehouse_factory is not None:
            return self.warehouse_factory(self.settings)
        from strikeouts.warehouse import open_warehouse

        return open_warehouse(self.settings)

    @cached_property
    def rejections(self) -> RejectionSink:
        """``rejected_messages``, opened only when something is rejected (most instances never do)."""
        return _OnFirstRejection(self)

    @cached_property
    def rejection_table(self) -> RejectionSink:
        """``rejected_messages`` in the warehouse (opens the warehouse)."""
        from strikeouts.pipeline.sinks import WarehouseRejectionSink

        return WarehouseRejectionSink(self.warehouse)

    @cached_property
    def state(self) -> AggregationStateStore:
        """The ensemble's aggregation state."""
        if self.state_factory is None:
            raise RuntimeError("no aggregation state configured for this function")
        return self.state_factory(self.settings)


@dataclass(frozen=True)
class _OnFirstRejection:
    """A RejectionSink that opens the warehouse's on the first rejection: opening it with the
    services cost a system function its BigQuery client import and connection on the first
    request, for a sink it almost never uses."""

    services: Services

    def reject(
        self,
        *,
        handler: str,
        topic: str | None,
        message_id: str | None,
        raw_payload: bytes | str,
        reason: str,
        received_at: datetime,
    ) -> None:
        self.services.rejection_table.reject(
            handler=handler,
            topic=topic,
            message_id=message_id,
            raw_payload=raw_payload,
            reason=reason,
            received_at=received_at,
        )


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
            trace=trace_resource(services.settings.gcp_project, trace_id),
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
            topic=_topic_of(event.get("source")),
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


def configure_function_logging() -> None:
    """One Cloud-Logging JSON object per line on stderr (what the functions runtime collects)."""
    configure("json")


def instance_services(settings: Settings | None = None) -> Services:
    """The services of a deployed function, all from the environment's settings."""
    from strikeouts.cloud.attempts import ObjectAttemptCounter
    from strikeouts.cloud.clients import parse_gcs_uri, storage_client
    from strikeouts.cloud.pubsub import PubSubPublisher

    settings = settings or get_settings()
    configure_function_logging()
    counter: AttemptCounter = MemoryAttemptCounter()
    if settings.aggregation_state:
        bucket, prefix = parse_gcs_uri(settings.aggregation_state, "aggregation_state")
        counter = ObjectAttemptCounter.on_gcs(
            storage_client(settings), bucket, f"{prefix}/delivery".strip("/")
        )
    return Services(
        settings=settings,
        publisher=PubSubPublisher.from_settings(settings),
        counter=counter,
        faults=FaultInjector(settings.fault_fail_rate, settings.fault_duplicate_rate),
        state_factory=open_state_store,
    )


def open_state_store(settings: Settings) -> AggregationStateStore:
    """GCS state for ``gs://`` settings (behind the instance's version cache), else the
    DuckDB store in the state directory."""
    if settings.aggregation_state:
        from strikeouts.cloud.clients import parse_gcs_uri, storage_client
        from strikeouts.cloud.gcs_state import GcsStateStore
        from strikeouts.pipeline.state_cache import CachedStateStore

        bucket, prefix = parse_gcs_uri(settings.aggregation_state, "aggregation_state")
        gcs = GcsStateStore(storage_client(settings), bucket, prefix or "aggregation-state")
        # most reads are of a version this instance just wrote; writes stay conditional
        return CachedStateStore(gcs)
    from strikeouts.pipeline.state import DuckDBStateStore

    return DuckDBStateStore(settings.state_dir / "aggregation_state.duckdb")
