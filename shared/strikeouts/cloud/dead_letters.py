"""Dead letters kept by Pub/Sub: the dead-letter topic's inspection subscription.

Two producers feed that topic: our functions (after ``max_delivery_attempts`` failed attempts,
with ``source_topic``/``source_function``/``dead_letter_reason`` attributes) and Pub/Sub's own
dead-letter policy (``CloudPubSubDeadLetterSource*`` attributes). Invariants: listing never
consumes (everything pulled is released again, ack deadline 0); a redrive acknowledges a dead
letter only after its republication to the source topic is confirmed, so a failed redrive
leaves it where it was; every pull loop is bounded in messages and rounds.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from strikeouts.cloud.pubsub import PubSubPublisher
from strikeouts.errors import StrikeoutsError
from strikeouts.pipeline.dead_letters import (
    DEAD_LETTER_ATTRIBUTES,
    DeadLetterFilter,
    DeadLetterRecord,
)
from strikeouts.settings import Settings

NATIVE_PREFIX = "CloudPubSubDeadLetter"
NATIVE_SUBSCRIPTION = "CloudPubSubDeadLetterSourceSubscription"
NATIVE_ATTEMPTS = "CloudPubSubDeadLetterSourceDeliveryCount"
PULL_BATCH = 500
PULL_TIMEOUT_SECONDS = 3.0
MAX_MESSAGES = 20_000
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class DeadLetterError(StrikeoutsError, RuntimeError):
    """Pub/Sub could not be read or written for the dead letters (names the subscription)."""


@contextmanager
def _pubsub_errors(subscription: str) -> Iterator[None]:
    from google.api_core import exceptions

    try:
        yield
    except exceptions.GoogleAPIError as exc:
        raise DeadLetterError(f"Pub/Sub subscription {subscription}: {exc}") from exc


@dataclass(frozen=True)
class Pulled:
    """A dead letter pulled and leased: its ack id and what it holds."""

    ack_id: str
    record: DeadLetterRecord


class PubSubDeadLetters:
    """List and redrive the dead letters of ``settings.topics.dead_letter_subscription``."""

    def __init__(self, settings: Settings, subscriber: Any = None) -> None:
        self.settings = settings
        self.subscription = f"projects/{settings.stack.gcp_project}/subscriptions/{settings.topics.dead_letter_subscription}"
        self._subscriber = subscriber
        self._topics: dict[str, str] = {}

    @property
    def subscriber(self) -> Any:
        """The SubscriberClient (the emulator's when the settings name one)."""
        if self._subscriber is None:
            if self.settings.stack.pubsub_emulator_host:
                os.environ["PUBSUB_EMULATOR_HOST"] = self.settings.stack.pubsub_emulator_host
            from google.cloud.pubsub_v1 import SubscriberClient

            self._subscriber = SubscriberClient()
        return self._subscriber

    def pending(self, where: DeadLetterFilter) -> list[DeadLetterRecord]:
        """The dead letters matching ``where``, oldest first; none is consumed."""
        with _pubsub_errors(self.subscription), self._leased() as pulled:
            return [p.record for p in pulled if where.matches(p.record)]

    def redrive(
        self, where: DeadLetterFilter, publisher: PubSubPublisher, *, dry_run: bool = False
    ) -> list[DeadLetterRecord]:
        """Republish the matching dead letters to their source topics, then acknowledge them."""
        with _pubsub_errors(self.subscription), self._leased() as pulled:
            chosen = [p for p in pulled if where.matches(p.record)]
            if dry_run or not chosen:
                return [p.record for p in chosen]
            for p in chosen:
                publisher.publish_raw(p.record.topic, p.record.payload, p.record.attributes)
            publisher.flush()  # raises before any ack if a republication failed
            self.subscriber.acknowledge(
                request={"subscription": self.subscription, "ack_ids": [p.ack_id for p in chosen]}
            )
            acked = {p.ack_id for p in chosen}
            pulled[:] = [p for p in pulled if p.ack_id not in acked]
            return [p.record for p in chosen]

    @contextmanager
    def _leased(self) -> Iterator[list[Pulled]]:
        pulled = self._pull_all()
        try:
            yield pulled
        finally:
            self._release([p.ack_id for p in pulled])

    def _pull_all(self) -> list[Pulled]:
        from google.api_core import exceptions

        pulled: list[Pulled] = []
        for _ in range(MAX_MESSAGES // PULL_BATCH):
            try:
                response = self.subscriber.pull(
                    request={"subscription": self.subscription, "max_messages": PULL_BATCH},
                    timeout=PULL_TIMEOUT_SECONDS,
                    retry=None,
                )
            except exceptions.DeadlineExceeded:
                break
            if not response.received_messages:
                break
            pulled.extend(
                Pulled(m.ack_id, self._record(m.message)) for m in response.received_messages
            )
        return sorted(pulled, key=lambda p: p.record.dead_lettered_at or EPOCH)

    def _release(self, ack_ids: list[str]) -> None:
        for start in range(0, len(ack_ids), PULL_BATCH):
            self.subscriber.modify_ack_deadline(
                request={
                    "subscription": self.subscription,
                    "ack_ids": ack_ids[start : start + PULL_BATCH],
                    "ack_deadline_seconds": 0,
                }
            )

    def _record(self, message: Any) -> DeadLetterRecord:
        attrs = dict(message.attributes)
        kept = {
            k: v
            for k, v in attrs.items()
            if k not in DEAD_LETTER_ATTRIBUTES and not k.startswith(NATIVE_PREFIX)
        }
        if NATIVE_SUBSCRIPTION in attrs:  # forwarded by Pub/Sub's dead-letter policy
            source = attrs[NATIVE_SUBSCRIPTION]
            topic, handler = self._topic_of(source), source.rsplit("/", 1)[-1]
            reason = "delivery attempts exhausted (Pub/Sub dead-letter policy)"
            attempts = attrs.get(NATIVE_ATTEMPTS, "0")
        else:
            topic, handler = attrs.get("source_topic", ""), attrs.get("source_function", "")
            reason, attempts = (
                attrs.get("dead_letter_reason", ""),
                attrs.get("delivery_attempts", "0"),
            )
        return DeadLetterRecord(
            message_id=attrs.get("source_message_id") or message.message_id,
            topic=topic,
            handler=handler,
            reason=reason,
            attempts=int(attempts) if attempts.isdigit() else 0,
            dead_lettered_at=_timestamp(message.publish_time),
            payload=bytes(message.data),
            attributes=kept,
        )

    def _topic_of(self, subscription: str) -> str:
        """The topic id a subscription reads (asked once per subscription)."""
        if subscription not in self._topics:
            found = self.subscriber.get_subscription(request={"subscription": subscription})
            self._topics[subscription] = str(found.topic).rsplit("/", 1)[-1]
        return self._topics[subscription]


def _timestamp(value: Any) -> datetime | None:
    """A publish time as an aware datetime (proto-plus gives one; raw protobuf a Timestamp)."""
    to_datetime: Callable[[], datetime] | None = getattr(value, "ToDatetime", None)
    if to_datetime is not None:
        value = to_datetime()
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)
