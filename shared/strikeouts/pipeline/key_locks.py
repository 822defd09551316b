"""One lock per key, held only while someone uses it.

Invariant: two threads holding :meth:`KeyLocks.hold` for equal keys never overlap, and an
entry exists only while at least one thread holds or waits for its key (the table does not
grow with the keys ever seen).
"""

from __future__ import annotations

import threading
from collections.abc import Hashable, Iterator
from contextlib import contextmanager


class KeyLocks:
    """Per-key mutual exclusion inside one process (thread-safe)."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._entries: dict[Hashable, tuple[threading.Lock, list[int]]] = {}

    def __len__(self) -> int:
        with self._guard:
            return len(self._entries)

    @contextmanager
    def hold(self, key: Hashable) -> Iterator[None]:
        """Hold ``key``'s lock for the duration of the block."""
        with self._guard:
            entry = self._entries.get(key)
            if entry is None:
                entry = self._entries[key] = (threading.Lock(), [0])
            entry[1][0] += 1
        lock, users = entry
        try:
            with lock:
                yield
        finally:
            with self._guard:
                users[0] -= 1
                if users[0] == 0:
                    del self._entries[key]
