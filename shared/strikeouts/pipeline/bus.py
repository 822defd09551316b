"""The embedded message bus: in-process, at-least-once, with a seeded fault plan for tests.

Each subscription gets its own copy of every message published to its topic. A delivery
is acknowledged when the handler returns or fails permanently (recorded as a rejection, see
:mod:`strikeouts.pipeline.delivery`); any other failure is redelivered until
``max_attempts``, then kept as a dead letter with its payload and reason. A FaultPlan makes
the bus duplicate, reorder, delay and fail deliveries deterministically from its seed.

A subscription may also give a ``prepare`` hook: before a delivery whose message it has not
seen, the bus hands it the payloads of every delivery of that subscription ready in the queue,
so it can do their work in one go (one model call for a day's pitcher-games). It is only a
hint: each message is still delivered, acknowledged, retried or rejected on its own.
"""

from __future__ import annotations

import itertools
import json
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from strikeouts.errors import StrikeoutsError
from strikeouts.logs import get_logger
from strikeouts.names import (
    ENSEMBLE_TICKS,
    GAME_SCHEDULE,
    GAMEDAY_RESULTS,
    GAMEDAY_SCHEDULE,
    PITCHER_GAMES,
    PREDICTIONS_COMPLETE,
    SYSTEM_PREDICTIONS,
)
from strikeouts.pipeline.clock import Clock
from strikeouts.pipeline.delivery import deliver
from strikeouts.pipeline.messages import MessageKind, encode
from strikeouts.pipeline.ports import RejectionSink

TOPIC_KINDS: dict[str, MessageKind] = {
    GAME_SCHEDULE: "game-schedule",
    PITCHER_GAMES: "pitcher-game",
    SYSTEM_PREDICTIONS: "system-prediction",
    ENSEMBLE_TICKS: "ensemble-tick",
    GAMEDAY_SCHEDULE: "gameday-trigger",
    GAMEDAY_RESULTS: "gameday-trigger",
    PREDICTIONS_COMPLETE: "predictions-complete",
}

log = get_logger(__name__)


def encode_for_topic(topic: str, message: Mapping[str, Any]) -> bytes:
    """The bytes published on ``topic``: validated against its contract when it has one."""
    kind = TOPIC_KINDS.get(topic)
    if kind:
        return encode(kind, message)
    return json.dumps(message, sort_keys=True, allow_nan=False).encode()


class InjectedFailure(StrikeoutsError, RuntimeError):
    """A transient failure the fault plan put in place of a handler call."""


@dataclass(frozen=True)
class FaultPlan:
    """Probabilities (0-1) of each delivery fault, drawn from one seeded generator."""

    seed: int = 0
    duplicate: float = 0.0
    """An acknowledged delivery is delivered once more (same message id)."""
    reorder: float = 0.0
    """The next delivery is taken from a random position in the queue."""
    delay: float = 0.0
    """A delivery is held back 1..max_delay_steps steps (not an attempt)."""
    fail: float = 0.0
    """A delivery attempt fails transiently before the handler runs."""
    max_delay_steps: int = 5

    def __post_init__(self) -> None:
        for name in ("duplicate", "reorder", "delay", "fail"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"FaultPlan.{name}={value} is not a probability")


@dataclass(frozen=True)
class Envelope:
    """One published message as the transport carries it."""

    message_id: str
    topic: str
    data: bytes
    attributes: Mapping[str, str]
    publish_time: datetime


@dataclass
class _Delivery:
    subscription: str
    envelope: Envelope
    attempt: int = 1
    ready_at: int = 0


@dataclass(frozen=True)
class DeadLetter:
    """A message that failed ``max_attempts`` times on one subscription."""

    subscription: str
    topic: str
    message_id: str
    payload: bytes
    reason: str
    attempts: int
    attributes: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Subscription:
    """A named consumer of a topic."""

    name: str
    topic: str
    handler: Callable[[bytes], Any]
    prepare: Callable[[Sequence[bytes]], Any] | None = None
    """Called with the ready payloads before a delivery it has not been shown (see above)."""


@dataclass
class DeliveryRecord:
    """One delivery attempt and how it ended: ack, rejected, retry, dead-letter or delayed."""

    subscription: str
    message_id: str
    attempt: int
    outcome: str


@dataclass
class InProcessBus:
    """A :class:`~strikeouts.pipeline.ports.Publisher` that also delivers, one step at a time."""

    rejections: RejectionSink
    clock: Clock
    max_attempts: int = 5
    faults: FaultPlan = field(default_factory=FaultPlan)
    subscriptions: dict[str, Subscription] = field(default_factory=dict)
    dead_letters: list[DeadLetter] = field(default_factory=list)
    history: list[DeliveryRecord] = field(default_factory=list)
    published: list[Envelope] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be >= 1, got {self.max_attempts}")
        self._queue: list[_Delivery] = []
        self._step = 0
        self._ids = itertools.count(1)
        self._rng = random.Random(self.faults.seed)
        # per subscription with a prepare hook: message ids shown to it and not yet attempted
        self._shown: dict[str, set[str]] = {}

    def subscribe(
        self,
        topic: str,
        name: str,
        handler: Callable[[bytes], Any],
        prepare: Callable[[Sequence[bytes]], Any] | None = None,
    ) -> None:
        """Add a subscription; each subscription receives every later message of ``topic``."""
        if name in self.subscriptions:
            raise ValueError(f"subscription {name!r} already exists")
        self.subscriptions[name] = Subscription(name, topic, handler, prepare)

    def publish(
        self, topic: str, message: Mapping[str, Any], attributes: Mapping[str, str] | None = None
    ) -> str:
        """Validate (for known topics), serialize and enqueue ``message``."""
        return self.publish_raw(topic, encode_for_topic(topic, message), attributes)

    def publish_raw(
        self, topic: str, data: bytes, attributes: Mapping[str, str] | None = None
    ) -> str:
        """Enqueue raw bytes unchecked (what a foreign or broken publisher might send)."""
        envelope = Envelope(
            message_id=str(next(self._ids)),
            topic=topic,
            data=data,
            attributes=dict(attributes or {}),
            publish_time=self.clock.now(),
        )
        self.published.append(envelope)
        for sub in self.subscriptions.values():
            if sub.topic == topic:
                self._queue.append(_Delivery(sub.name, envelope, ready_at=self._step))
        return envelope.message_id

    @property
    def pending(self) -> int:
        """Deliveries not yet acknowledged or dead-lettered."""
        return len(self._queue)

    def run(self, max_steps: int = 100_000) -> int:
        """Deliver until the queue is empty; returns the attempts made (bounded by ``max_steps``)."""
        steps = 0
        while self._queue:
            if steps >= max_steps:
                raise RuntimeError(
                    f"bus still has {len(self._queue)} deliveries after {steps} steps"
                )
            self.step()
            steps += 1
        return steps

    def step(self) -> None:
        """Make one delivery attempt (or one delay)."""
        self._step += 1
        delivery = self._queue.pop(self._next_index())
        if self._roll(self.faults.delay):
            delivery.ready_at = self._step + self._rng.randint(1, self.faults.max_delay_steps)
            self._queue.append(delivery)
            self._record(delivery, "delayed")
            return
        self._attempt(delivery)

    def _next_index(self) -> int:
        """Queue position of the next delivery: the first ready one, or a random ready one."""
        if self.faults.reorder == 0 and self._queue[0].ready_at <= self._step:
            return 0  # the common case, without scanning the queue
        ready = [i for i, d in enumerate(self._queue) if d.ready_at <= self._step]
        if not ready:
            self._step = min(d.ready_at for d in self._queue)
            ready = [i for i, d in enumerate(self._queue) if d.ready_at <= self._step]
        return self._rng.choice(ready) if self._roll(self.faults.reorder) else ready[0]

    def _show(self, sub: Subscription, delivery: _Delivery) -> None:
        """Run ``sub.prepare`` over the ready queue when this delivery was not among those shown."""
        if sub.prepare is None:
            return
        shown = self._shown.setdefault(sub.name, set())
        message_id = delivery.envelope.message_id
        if message_id not in shown:
            batch = [delivery] + [
                d for d in self._queue if d.subscription == sub.name and d.ready_at <= self._step
            ]
            shown.clear()
            shown.update(d.envelope.message_id for d in batch)
            sub.prepare([d.envelope.data for d in batch])
        shown.discard(message_id)

    def _attempt(self, delivery: _Delivery) -> None:
        sub = self.subscriptions[delivery.subscription]
        envelope = delivery.envelope
        try:
            if self._roll(self.faults.fail):
                raise InjectedFailure("injected transient failure")
            self._show(sub, delivery)
            outcome = deliver(
                sub.handler,
                envelope.data,
                handler_name=sub.name,
                topic=envelope.topic,
                message_id=envelope.message_id,
                rejections=self.rejections,
                clock=self.clock,
            )
        except Exception as exc:
            self._retry_or_dead_letter(delivery, f"{type(exc).__name__}: {exc}")
            return
        self._record(delivery, outcome)
        if self._roll(self.faults.duplicate):
            self._queue.append(
                _Delivery(sub.name, envelope, attempt=delivery.attempt + 1, ready_at=self._step)
            )

    def _retry_or_dead_letter(self, delivery: _Delivery, reason: str) -> None:
        if delivery.attempt >= self.max_attempts:
            envelope = delivery.envelope
            self.dead_letters.append(
                DeadLetter(
                    subscription=delivery.subscription,
                    topic=envelope.topic,
                    message_id=envelope.message_id,
                    payload=envelope.data,
                    reason=reason,
                    attempts=delivery.attempt,
                    attributes=dict(envelope.attributes),
                )
            )
            self._record(delivery, "dead-letter")
            log.error("message dead-lettered", subscription=delivery.subscription, reason=reason)
            return
        self._record(delivery, "retry")
        delivery.attempt += 1
        delivery.ready_at = self._step + 1
        self._queue.append(delivery)

    def _record(self, delivery: _Delivery, outcome: str) -> None:
        self.history.append(
            DeliveryRecord(
                delivery.subscription, delivery.envelope.message_id, delivery.attempt, outcome
            )
        )

    def _roll(self, probability: float) -> bool:
        return probability > 0 and self._rng.random() < probability
