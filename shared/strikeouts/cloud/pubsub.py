"""The Pub/Sub publisher adapter: the pipeline's Publisher port on google-cloud-pubsub.

Invariants:

- every message is validated against its schema before it leaves (as on the embedded bus);
- ``publish`` only enqueues (the client batches); :meth:`PubSubPublisher.flush` waits for
  every message this thread published, and a function calls it before it acknowledges its
  own delivery, so a message is never acknowledged before what it caused was published;
- every message carries its routing attributes (run, game, pitcher, system) and the trace
  id of the delivery that caused it;
- nothing waits longer than ``timeout``: publishes retry within it and :meth:`flush` raises
  PublishError (transient) naming how many messages went out, even with no server listening.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Mapping
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

from strikeouts.cloud.context import TRACE_ATTRIBUTE, current_trace_id, new_trace_id
from strikeouts.names import (
    DEAD_LETTER,
    ENSEMBLE_TICKS,
    GAME_SCHEDULE,
    PITCHER_GAMES,
    SYSTEM_PREDICTIONS,
)
from strikeouts.pipeline.bus import encode_for_topic
from strikeouts.pipeline.errors import TransientError
from strikeouts.settings import Settings, StackSettings

if TYPE_CHECKING:
    from google.cloud.pubsub_v1 import PublisherClient
    from google.cloud.pubsub_v1.types import BatchSettings

# Functions publish a few to a few dozen messages per delivery and then wait for them:
# a short latency window batches one delivery's burst without holding it back.
MAX_BATCH_MESSAGES = 500
MAX_BATCH_BYTES = 1_000_000
# the settings' default is the one source of the hold time (documented there)
DEFAULT_MAX_LATENCY_SECONDS: float = StackSettings.model_fields[
    "publish_max_latency_seconds"
].default


class PublishError(TransientError):
    """Messages could not be published in time (the delivery is retried)."""


def batch_settings(max_latency: float = DEFAULT_MAX_LATENCY_SECONDS) -> BatchSettings:
    """The tuned batching of every publisher (``max_latency``: settings.stack.publish_max_latency_seconds)."""
    from google.cloud.pubsub_v1.types import BatchSettings

    return BatchSettings(
        max_messages=MAX_BATCH_MESSAGES,
        max_bytes=MAX_BATCH_BYTES,
        max_latency=max_latency,
    )


def topic_names(settings: Settings) -> dict[str, str]:
    """Logical topic (as handlers name it) → the deployed topic id."""
    return {
        GAME_SCHEDULE: settings.topics.game_schedule,
        PITCHER_GAMES: settings.topics.pitcher_games,
        SYSTEM_PREDICTIONS: settings.topics.system_predictions,
        ENSEMBLE_TICKS: settings.topics.ensemble_ticks,
        DEAD_LETTER: settings.topics.dead_letter,
    }


def _attributes(attributes: Mapping[str, str] | None) -> dict[str, str]:
    out = {k: str(v) for k, v in (attributes or {}).items() if v is not None}
    out.setdefault(TRACE_ATTRIBUTE, current_trace_id() or new_trace_id())
    out.setdefault("client_message_id", uuid.uuid4().hex)
    return out


class PubSubPublisher:
    """:class:`~strikeouts.pipeline.ports.Publisher` on a Pub/Sub ``PublisherClient``."""

    def __init__(
        self,
        client: PublisherClient,
        project: str,
        topics: Mapping[str, str] | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.client = client
        self.project = project
        self.topics = dict(topics or {})
        self.timeout = timeout
        self._local = threading.local()

    @classmethod
    def from_settings(cls, settings: Settings) -> PubSubPublisher:
        """A publisher with the tuned batching, the settings' project and topic names."""
        from strikeouts.cloud.clients import publisher_client

        client = publisher_client(
            settings, batch_settings(settings.stack.publish_max_latency_seconds)
        )
        return cls(
            client,
            settings.stack.gcp_project,
            topic_names(settings),
            settings.stack.publish_timeout_seconds,
        )

    def topic_path(self, topic: str) -> str:
        """``projects/P/topics/T`` of a logical topic."""
        return f"projects/{self.project}/topics/{self.topics.get(topic, topic)}"

    def publish(
        self, topic: str, message: Mapping[str, Any], attributes: Mapping[str, str] | None = None
    ) -> str:
        """Validate and enqueue ``message``; returns its client message id (see :meth:`flush`)."""
        return self.publish_raw(topic, encode_for_topic(topic, message), attributes)

    def publish_raw(
        self, topic: str, data: bytes, attributes: Mapping[str, str] | None = None
    ) -> str:
        """Enqueue raw bytes unchecked; returns the client message id."""
        from google.api_core.retry import Retry

        attrs = _attributes(attributes)
        # bounded retries: the client's default keeps an unreachable server busy for 600 s
        retry = Retry(initial=0.1, maximum=2.0, multiplier=2.0, timeout=self.timeout)
        future = self.client.publish(
            self.topic_path(topic), data, retry=retry, timeout=self.timeout, **attrs
        )
        self._pending().append(future)
        return attrs["client_message_id"]

    def flush(self) -> list[str]:
        """Wait for every message this thread enqueued; their Pub/Sub ids, in order."""
        pending, self._local.futures = self._pending(), []
        ids = []
        for future in pending:
            try:
                ids.append(str(future.result(timeout=self.timeout)))
            except Exception as exc:
                raise PublishError(
                    f"publishing failed after {len(ids)} of {len(pending)} messages: "
                    f"{type(exc).__name__}: {exc}"
                ) from exc
        return ids

    def _pending(self) -> list[Future[Any]]:
        futures: list[Future[Any]] | None = getattr(self._local, "futures", None)
        if futures is None:
            futures = self._local.futures = []
        return futures
