"""A real circuit breaker: closed → open after N consecutive failures → half-open after cool-down.

While open, :meth:`CircuitBreaker.allow` is False and the caller answers at once without
calling the protected function. Half-open lets exactly one trial through; its success
closes the breaker, its failure reopens it for another cool-down. Time comes from a Clock.

Every transition is logged as one structured event (``BREAKER_EVENT``, with ``breaker``,
``from_state``, ``to_state``, ``consecutive_failures``): an open breaker answers ``error`` at
once and its function still answers 2xx, so this log line is what the log-based metric and
alert policy of ``infra/monitoring.tf`` (``strikeouts/breaker_opened``) count.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from strikeouts.logs import get_logger
from strikeouts.pipeline.clock import Clock

BREAKER_EVENT = "circuit breaker transition"
log = get_logger(__name__)


class BreakerState(StrEnum):
    """The three states of a circuit breaker."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    """Guards one dependency (a system's predictor) of one process."""

    def __init__(
        self, failure_threshold: int, cooldown_seconds: float, clock: Clock, name: str = ""
    ) -> None:
        if failure_threshold < 1:
            raise ValueError(f"failure_threshold must be >= 1, got {failure_threshold}")
        if cooldown_seconds <= 0:
            raise ValueError(f"cooldown_seconds must be > 0, got {cooldown_seconds}")
        self.failure_threshold = failure_threshold
        self.cooldown = timedelta(seconds=cooldown_seconds)
        self.clock = clock
        self.name = name
        """What the breaker guards (a system id), named in its transition events."""
        self._state = BreakerState.CLOSED
        self._failures = 0
        self._opened_at: datetime | None = None
        self._trial_in_flight = False

    @property
    def state(self) -> BreakerState:
        """The current state (an open breaker past its cool-down reads as half-open)."""
        if self._state is BreakerState.OPEN and self._cooled_down():
            return BreakerState.HALF_OPEN
        return self._state

    @property
    def consecutive_failures(self) -> int:
        return self._failures

    def allow(self) -> bool:
        """Whether a call may go through now; in half-open only one trial at a time."""
        state = self.state
        if state is BreakerState.CLOSED:
            return True
        if state is BreakerState.HALF_OPEN and not self._trial_in_flight:
            self._transition(BreakerState.HALF_OPEN)
            self._trial_in_flight = True
            return True
        return False

    def record_success(self) -> None:
        """A call succeeded: close the breaker and forget past failures."""
        if self._state is not BreakerState.CLOSED:
            self._transition(BreakerState.CLOSED)
        self._failures = 0
        self._opened_at = None
        self._trial_in_flight = False

    def record_failure(self) -> None:
        """A call failed: a failed trial reopens at once; N failures in a row open it."""
        self._failures += 1
        if self._state is BreakerState.HALF_OPEN or self._failures >= self.failure_threshold:
            self._open()

    def _open(self) -> None:
        self._transition(BreakerState.OPEN)
        self._opened_at = self.clock.now()
        self._trial_in_flight = False

    def _transition(self, to: BreakerState) -> None:
        """Move to ``to`` and log it: opening is an error (an alert fires), the rest info."""
        before, self._state = self._state, to
        if before is to:
            return
        emit = log.error if to is BreakerState.OPEN else log.info
        emit(
            BREAKER_EVENT,
            breaker=self.name,
            from_state=before.value,
            to_state=to.value,
            consecutive_failures=self._failures,
            cooldown_seconds=self.cooldown.total_seconds(),
        )

    def _cooled_down(self) -> bool:
        return self._opened_at is not None and self.clock.now() - self._opened_at >= self.cooldown
