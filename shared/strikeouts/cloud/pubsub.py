"""The Pub/Sub publisher adapter: the pipeline's Publisher port on google-cloud-pubsub.

Invariants:

- every message is validated against its schema before it leaves (as on the embedded bus);
- ``publish`` only enqueues (on the calling thread); :meth:`PubSubPublisher.flush` publishes
  every message this thread enqueued (one request per topic) and waits for them, and a
  function calls it before it acknowledges its own delivery, so a message is never
  acknowledged before what it caused was published;
- every message carries its routing attributes (run, game, pitcher, system) and the trace
  id of the delivery that caused it;
- nothing waits longer than ``timeout``: publishes retry within it and :meth:`flush` raises
  PublishError (transient) naming how many messages went out, even with no server listening.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from strikeouts.cloud.context import TRACE_ATTRIBUTE, current_trace_id, new_trace_id
from strikeouts.names import (
    DEAD_LETTER,
    ENSEMBLE_TICKS,
    GAME_SCHEDULE,
    PITCHER_GAMES,
    PREDICTIONS_COMPLETE,
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
        PREDICTIONS_COMPLETE: settings.topics.predictions_complete,
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
        attrs = _attributes(attributes)
        self._pending().append(_Message(self.topic_path(topic), data, attrs))
        return attrs["client_message_id"]

    def flush(self) -> list[str]:
        """Publish every message this thread enqueued, one request per topic (and per
        ``MAX_BATCH_MESSAGES`` / ``MAX_BATCH_BYTES``), within ``timeout`` in all; their Pub/Sub
        ids, in the order they were enqueued.

        Sent here, on the caller's thread, rather than through the client's batcher: a
        function waits for its messages anyway, and the batcher's timer and commit threads
        and futures cost a one-message delivery (a system function's) about twice the CPU of
        the request itself."""
        pending, self._local.messages = self._pending(), []
        ids: dict[int, str] = {}
        deadline = time.monotonic() + self.timeout
        for batch in _batches(pending):
            try:
                sent = self._send([pending[i] for i in batch], deadline)
            except Exception as exc:
                raise PublishError(
                    f"publishing failed after {len(ids)} of {len(pending)} messages: "
                    f"{type(exc).__name__}: {exc}"
                ) from exc
            ids.update(zip(batch, sent, strict=True))
        return [ids[i] for i in range(len(pending))]

    def _send(self, messages: list[_Message], deadline: float) -> list[str]:
        """One Publish request of ``messages`` (one topic), retried until ``deadline``."""
        from google.api_core.retry import Retry
        from google.pubsub_v1 import PublisherClient as GapicPublisher
        from google.pubsub_v1.types import PubsubMessage

        left = max(deadline - time.monotonic(), 0.001)
        # bounded retries: the client's default keeps an unreachable server busy for 600 s
        retry = Retry(initial=0.1, maximum=2.0, multiplier=2.0, timeout=left)
        # the GAPIC Publish the client's own batches call (it is the client's base class)
        response = GapicPublisher.publish(
            self.client,
            topic=messages[0].topic,
            messages=[PubsubMessage(data=m.data, attributes=m.attributes) for m in messages],
            retry=retry,
            timeout=left,
        )
        return [str(i) for i in response.message_ids]

    def _pending(self) -> list[_Message]:
        messages: list[_Message] | None = getattr(self._local, "messages", None)
        if messages is None:
            messages = self._local.messages = []
        return messages


@dataclass(frozen=True)
class _Message:
    """One enqueued message: its topic path, data and attributes."""

    topic: str
    data: bytes
    attributes: dict[str, str]


def _batches(messages: list[_Message]) -> list[list[int]]:
    """Indexes of ``messages`` grouped by topic (in order of first use), each group cut at
    ``MAX_BATCH_MESSAGES`` messages and ``MAX_BATCH_BYTES`` bytes (never empty)."""
    by_topic: dict[str, list[list[int]]] = {}
    sizes: dict[str, int] = {}
    for i, message in enumerate(messages):
        size = len(message.data) + sum(len(k) + len(v) for k, v in message.attributes.items())
        groups = by_topic.setdefault(message.topic, [[]])
        current = groups[-1]
        if current and (
            len(current) >= MAX_BATCH_MESSAGES or sizes[message.topic] + size > MAX_BATCH_BYTES
        ):
            current = []
            groups.append(current)
            sizes[message.topic] = 0
        current.append(i)
        sizes[message.topic] = sizes.get(message.topic, 0) + size
    return [group for groups in by_topic.values() for group in groups]
