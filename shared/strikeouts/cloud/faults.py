"""Fault injection at the function entry (benchmarks only; off unless the settings enable it).

``before`` fails a delivery transiently before the handler runs; ``after`` loses the
acknowledgement of a delivery whose handler already ran, so Pub/Sub delivers it again (a
true duplicate delivery with the same message id).
"""

from __future__ import annotations

import random
import threading

from strikeouts.errors import StrikeoutsError


class InjectedFault(StrikeoutsError, RuntimeError):
    """A failure put there on purpose by the fault injector."""


class FaultInjector:
    """Seeded, thread-safe coin flips for the two injected faults."""

    def __init__(
        self, fail_rate: float = 0.0, duplicate_rate: float = 0.0, seed: int | None = None
    ):
        for name, rate in (("fail_rate", fail_rate), ("duplicate_rate", duplicate_rate)):
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"FaultInjector.{name}={rate} is not a probability")
        self.fail_rate = fail_rate
        self.duplicate_rate = duplicate_rate
        self._rng = random.Random(seed)
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.fail_rate > 0 or self.duplicate_rate > 0

    def before(self) -> None:
        """Maybe fail this delivery before its handler runs."""
        if self._roll(self.fail_rate):
            raise InjectedFault("injected transient failure")

    def after(self) -> None:
        """Maybe lose the acknowledgement of a handled delivery (it will be redelivered)."""
        if self._roll(self.duplicate_rate):
            raise InjectedFault("injected lost acknowledgement (duplicate delivery follows)")

    def _roll(self, rate: float) -> bool:
        if rate <= 0:
            return False
        with self._lock:
            return self._rng.random() < rate
