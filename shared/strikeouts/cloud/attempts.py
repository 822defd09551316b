"""Delivery attempts per message, for dead-lettering where the transport does not count them.

Pub/Sub reports ``deliveryAttempt`` only on subscriptions with a dead-letter policy (and the
emulator not reliably): the entry layer then counts failed attempts itself, one counter per
(function, topic, message id), incremented only on failure so a healthy delivery costs no
write. The Cloud Storage counter is a compare-and-swapped object, shared by all instances:
every count it returns was written conditionally on the generation it replaced (or on the
object's absence), so concurrent instances never lose an increment.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from strikeouts.pipeline.errors import TransientError

if TYPE_CHECKING:
    import google.cloud.storage as storage

    from strikeouts.models.store import ObjectBackend

MAX_SWAPS = 20
# message keys an instance remembers having counted (their next failure reads first)
SEEN_CAPACITY = 4096


class AttemptCounter(Protocol):
    """Counts failed deliveries of one message to one function."""

    def increment(self, scope: str, message_id: str) -> int:
        """Record one more failed attempt; returns the count so far (1 on the first)."""
        ...


class MemoryAttemptCounter:
    """Per-process counts (tests, and instances without a bucket)."""

    def __init__(self) -> None:
        self._counts: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()

    def increment(self, scope: str, message_id: str) -> int:
        with self._lock:
            count = self._counts.get((scope, message_id), 0) + 1
            self._counts[(scope, message_id)] = count
            return count


class ObjectAttemptCounter:
    """Counts in objects ``attempts/SCOPE/MESSAGE_ID`` of an object backend (GCS generation swap)."""

    def __init__(self, backend: ObjectBackend, seen_capacity: int = SEEN_CAPACITY) -> None:
        self.backend = backend
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._seen_capacity = seen_capacity
        self._lock = threading.Lock()

    @classmethod
    def on_gcs(cls, client: storage.Client, bucket: str, prefix: str) -> ObjectAttemptCounter:
        """A counter under ``gs://bucket/prefix/``."""
        from strikeouts.cloud.gcs_models import GcsObjects

        return cls(GcsObjects(bucket, prefix, client=client))

    def increment(self, scope: str, message_id: str) -> int:
        key = f"attempts/{scope}/{message_id}"
        # most failed messages fail once: their first count is a create-only write, without
        # the read that would find nothing (a failed create, the object existing, falls back
        # to read and swap); a message this instance counted before goes to the read at once
        if not self._counted_before(key) and self.backend.create(key, b"1"):
            return 1
        for _ in range(MAX_SWAPS):
            current = self.backend.read(key)
            count = (int(current.data) if current else 0) + 1
            if self.backend.swap(key, str(count).encode(), current.token if current else None):
                return count
        raise TransientError(f"{self.backend.uri(key)}: {MAX_SWAPS} concurrent updates in a row")

    def _counted_before(self, key: str) -> bool:
        """Whether this instance counted ``key`` before (then remembered as the latest)."""
        with self._lock:
            seen = key in self._seen
            self._seen[key] = None
            self._seen.move_to_end(key)
            while len(self._seen) > self._seen_capacity:
                self._seen.popitem(last=False)
        return seen


class OnFirstFailure:
    """An :class:`AttemptCounter` opened on the first failure it counts: most deliveries never
    fail, and opening a Cloud Storage counter imports and builds a storage client, which cost
    a function without other Cloud Storage use (fanout) a large share of its first request."""

    def __init__(self, open_counter: Callable[[], AttemptCounter]) -> None:
        self._open = open_counter
        self._counter: AttemptCounter | None = None
        self._lock = threading.Lock()

    def increment(self, scope: str, message_id: str) -> int:
        if self._counter is None:
            with self._lock:
                if self._counter is None:
                    self._counter = self._open()
        return self._counter.increment(scope, message_id)
