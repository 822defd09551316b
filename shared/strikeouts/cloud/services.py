"""The clients and adapters of one function instance, each created on first use.

Invariant: nothing expensive (warehouse, state store, rejection table) is opened before a
delivery needs it, and the same instance reuses what it opened.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any, Protocol

from strikeouts.cloud.attempts import AttemptCounter, MemoryAttemptCounter
from strikeouts.cloud.faults import FaultInjector
from strikeouts.logs import configure
from strikeouts.pipeline.clock import Clock, SystemClock
from strikeouts.pipeline.config import PipelineConfig
from strikeouts.pipeline.ports import AggregationStateStore, RejectionSink
from strikeouts.settings import Settings, get_settings

if TYPE_CHECKING:
    from strikeouts.warehouse.base import Warehouse


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
        from strikeouts.adapters import open_warehouse

        return open_warehouse(self.settings)

    @cached_property
    def rejections(self) -> RejectionSink:
        """``rejected_messages``, opened only when something is rejected (most instances never do)."""
        return _OnFirstRejection(self)

    @cached_property
    def rejection_table(self) -> RejectionSink:
        """``rejected_messages`` in the warehouse (opens the warehouse)."""
        from strikeouts.runtime.sinks import WarehouseRejectionSink

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


def configure_function_logging() -> None:
    """One Cloud-Logging JSON object per line on stderr (what the functions runtime collects)."""
    configure("json")


def instance_services(settings: Settings | None = None) -> Services:
    """The services of a deployed function, all from the environment's settings."""
    from strikeouts.cloud.attempts import ObjectAttemptCounter, OnFirstFailure
    from strikeouts.cloud.clients import parse_gcs_uri, storage_client
    from strikeouts.cloud.pubsub import PubSubPublisher

    settings = settings or get_settings()
    configure_function_logging()
    counter: AttemptCounter = MemoryAttemptCounter()
    if settings.aggregation_state:
        bucket, prefix = parse_gcs_uri(settings.aggregation_state, "aggregation_state")
        counter = OnFirstFailure(
            lambda: ObjectAttemptCounter.on_gcs(
                storage_client(settings), bucket, f"{prefix}/delivery".strip("/")
            )
        )
    return Services(
        settings=settings,
        publisher=PubSubPublisher.from_settings(settings),
        counter=counter,
        faults=FaultInjector(settings.stack.fault_fail_rate, settings.stack.fault_duplicate_rate),
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
    from strikeouts.runtime.state_store import DuckDBStateStore

    return DuckDBStateStore(settings.state_dir / "aggregation_state.duckdb")
