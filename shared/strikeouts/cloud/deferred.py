"""Deferred staging for the ensemble function: validate at once, insert in batches in the background.

One staging insert costs about the same for 3 rows as for 300, and a synchronous one sat
inside every finalizing delivery. :class:`DeferredStagedSink` takes the rows, checks them,
queues them and returns; one flusher thread per instance inserts everything queued in one
streaming insert. Invariants:

- a call's rows are validated before it returns (a bad row raises WarehouseError naming the
  column, and nothing of that call is queued);
- ``done`` of a call runs exactly once, on the flusher thread, and only after the insert
  that carried all of its rows succeeded: the ensemble marks its state written there, so a
  state never says "written" for rows that are not staged;
- a failed insert keeps its rows queued, in order, and is retried with capped exponential
  backoff; rows BigQuery refuses as invalid drop their own call (logged, no ``done``: its
  state stays unwritten and the tick's synchronous rewrite reports the error), so one
  poison row cannot hold up the queue;
- the queue is bounded: past ``max_pending`` rows ``write_then`` raises TransientError
  (Pub/Sub redelivers later) instead of growing without bound;
- only ``write_then`` defers: queued rows are lost only when the process dies before their
  insert, and their outcome is then finalized-but-unwritten in the aggregation state, so
  the tick rewrites it (the MERGE keeps one row per key). Plain ``write`` (a late result's
  row, which no state marks written and nothing would rewrite) stages synchronously. A
  graceful stop (gunicorn's SIGTERM) flushes the queue at interpreter exit.
"""

from __future__ import annotations

import atexit
import threading
import time
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from strikeouts.cloud.staging import StagedPredictionSink, StagingRefused
from strikeouts.logs import get_logger
from strikeouts.pipeline.errors import TransientError
from strikeouts.pipeline.ports import Done
from strikeouts.settings import Settings, StagingSettings

# the settings' defaults are the one source of these bounds (documented there)
_FIELDS = StagingSettings.model_fields
DEFAULT_INTERVAL_SECONDS: float = _FIELDS["flush_interval_seconds"].default
DEFAULT_MAX_ROWS: int = _FIELDS["flush_max_rows"].default
DEFAULT_MAX_PENDING: int = _FIELDS["max_pending_rows"].default
BACKOFF_INITIAL_SECONDS = 0.2
BACKOFF_MAX_SECONDS = 5.0
# below the 10 s a stopped function gets before SIGKILL (the stack's stop_process)
EXIT_FLUSH_SECONDS = 5.0

log = get_logger(__name__)


@dataclass
class _Call:
    """The rows of one ``write_then`` and what to do once they are staged."""

    rows: list[dict[str, Any]]
    done: Done
    queued_at: float


class DeferredStagedSink:
    """:class:`~strikeouts.pipeline.ports.DeferredPredictionSink` over a StagedPredictionSink.

    Safe to share between request threads: the lock guards only the queue and counters;
    validation runs on the caller's thread, inserts and callbacks on the flusher's.
    """

    def __init__(
        self,
        staged: StagedPredictionSink,
        *,
        interval: float = DEFAULT_INTERVAL_SECONDS,
        max_rows: int = DEFAULT_MAX_ROWS,
        max_pending: int = DEFAULT_MAX_PENDING,
        backoff: tuple[float, float] = (BACKOFF_INITIAL_SECONDS, BACKOFF_MAX_SECONDS),
        flush_at_exit: bool = True,
    ) -> None:
        if interval <= 0 or max_rows < 1 or max_pending < 1:
            raise ValueError(
                f"need interval > 0, max_rows >= 1, max_pending >= 1; got "
                f"{interval}, {max_rows}, {max_pending}"
            )
        self.staged = staged
        self.interval = interval
        self.max_rows = max_rows
        self.max_pending = max_pending
        self.backoff = backoff
        self.inserts = 0
        """Successful staging inserts."""
        self.failed_inserts = 0
        self.callback_errors = 0
        self.refused = 0
        """``write_then`` calls refused by backpressure."""
        self._cond = threading.Condition()
        self._queue: deque[_Call] = deque()
        self._queued = 0  # rows waiting in the queue
        self._in_flight = 0  # rows taken by the flusher, their callbacks not yet run
        self._failures = 0  # consecutive failed inserts
        self._retry_at = 0.0
        self._flushers = 0  # threads waiting in flush(): no interval wait meanwhile
        self._closed = False
        self._thread: threading.Thread | None = None
        self._flush_at_exit = flush_at_exit
        if flush_at_exit:
            atexit.register(self._at_exit)

    @classmethod
    def from_settings(cls, staged: StagedPredictionSink, settings: Settings) -> DeferredStagedSink:
        """The sink with the interval and bounds of ``settings``."""
        return cls(
            staged,
            interval=settings.staging.flush_interval_seconds,
            max_rows=settings.staging.flush_max_rows,
            max_pending=settings.staging.max_pending_rows,
        )

    # --- the sink ---------------------------------------------------------------------------

    @property
    def pending(self) -> int:
        """Rows accepted whose insert (and callbacks) have not finished."""
        with self._cond:
            return self._queued + self._in_flight

    def write(self, rows: Sequence[Mapping[str, Any]]) -> int:
        """Stage ``rows`` now, in the caller's request (the PredictionSink contract).

        The ensemble writes this way only what no state marks as written (a late result's
        row): nothing would rewrite it if a queue holding it died with the instance.
        """
        return self.staged.write(rows)

    def restore(self, rows: Sequence[Mapping[str, Any]]) -> int:
        """Stage rows a replay re-offers now, in the caller's request, like :meth:`write`."""
        return self.staged.restore(rows)

    def write_then(self, rows: Sequence[Mapping[str, Any]], done: Done) -> int:
        """Validate and queue ``rows``; ``done`` runs on the flusher once they are staged."""
        return self._accept(rows, done)

    def flush(self, timeout: float | None = None) -> bool:
        """Insert everything queued now and wait until nothing is pending (and its callbacks
        ran); False if rows were still pending after ``timeout`` seconds."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            self._flushers += 1
            self._cond.notify_all()
            try:
                while self._queued + self._in_flight:
                    left = None if deadline is None else deadline - time.monotonic()
                    if left is not None and left <= 0:
                        return False
                    self._cond.wait(left)
                return True
            finally:
                self._flushers -= 1

    def close(self, timeout: float | None = None, *, drain: bool = True) -> bool:
        """Stop the flusher, first draining the queue (bounded by ``timeout``) if ``drain``.

        Rows still queued at the end are dropped unwritten (logged): their states stay
        unwritten and the tick rewrites them. Returns whether nothing was dropped.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        if drain:
            self.flush(timeout)
        with self._cond:
            self._closed = True
            dropped = self._queued
            self._queue.clear()
            self._queued = 0
            self._cond.notify_all()
            thread = self._thread
        if self._flush_at_exit:
            atexit.unregister(self._at_exit)
        if thread is not None:
            # an insert in flight finishes (and calls back) on its own
            thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
        if dropped:
            log.warning(
                "staged rows dropped unwritten at close; the tick rewrites them", rows=dropped
            )
        return dropped == 0

    # --- accepting --------------------------------------------------------------------------

    def _accept(self, rows: Sequence[Mapping[str, Any]], done: Done) -> int:
        payload = self.staged.validate(rows) if rows else []
        if not payload:
            done()  # nothing to stage: durable already
            return 0
        with self._cond:
            if self._closed:
                raise TransientError("the staging sink is closed (the instance is stopping)")
            pending = self._queued + self._in_flight
            # an empty queue takes any call, so a call larger than the bound is not stuck
            if pending and pending + len(payload) > self.max_pending:
                self.refused += 1
                raise TransientError(
                    f"{pending} rows are waiting to be staged (at most {self.max_pending}): "
                    "BigQuery is slow or failing; retry later"
                )
            self._queue.append(_Call(payload, done, time.monotonic()))
            self._queued += len(payload)
            self._ensure_flusher()
            # the flusher sleeps without a deadline on an empty queue, or until the interval
            if len(self._queue) == 1 or self._queued >= self.max_rows:
                self._cond.notify_all()
        return len(payload)

    def _ensure_flusher(self) -> None:
        # started on first use, in the process that writes (not a parent that forks workers)
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="deferred-staging", daemon=True)
            self._thread.start()

    # --- the flusher ------------------------------------------------------------------------

    def _run(self) -> None:
        while (batch := self._next_batch()) is not None:
            self._insert(batch)

    def _next_batch(self) -> list[_Call] | None:
        """The calls of the next insert (at most ``max_rows`` rows, at least one call), once
        due; None when closed with nothing left."""
        with self._cond:
            while True:
                if not self._queue:
                    if self._closed:
                        return None
                    self._cond.wait()
                    continue
                wait = self._due() - time.monotonic()
                if wait <= 0:
                    break
                self._cond.wait(wait)
            batch: list[_Call] = []
            rows = 0
            while self._queue and (not batch or rows + len(self._queue[0].rows) <= self.max_rows):
                call = self._queue.popleft()
                batch.append(call)
                rows += len(call.rows)
            self._queued -= rows
            self._in_flight += rows
            return batch

    def _due(self) -> float:
        """When the oldest queued call must go: ``interval`` after it came, at once when a
        batch is full or someone flushes or closes, never before the backoff ends."""
        urgent = self._flushers > 0 or self._closed or self._queued >= self.max_rows
        oldest = self._queue[0].queued_at
        return max(oldest if urgent else oldest + self.interval, self._retry_at)

    def _insert(self, batch: list[_Call]) -> None:
        payload = [row for call in batch for row in call.rows]
        try:
            self.staged.insert(payload)
        except StagingRefused as exc:
            self._refused(batch, exc)
            return
        except Exception as exc:
            self._failed(batch, exc)
            return
        with self._cond:
            self.inserts += 1
            self._failures = 0
            self._retry_at = 0.0
        for call in batch:
            self._call_back(call)
        with self._cond:
            self._in_flight -= len(payload)
            self._cond.notify_all()

    def _call_back(self, call: _Call) -> None:
        try:
            call.done()
        except Exception as exc:
            # the rows are staged; the state stays unwritten and the tick's rewrite repairs it
            self.callback_errors += 1
            log.warning("marking staged rows written failed; left to the tick", error=str(exc))

    def _failed(self, batch: list[_Call], exc: Exception) -> None:
        with self._cond:
            self.failed_inserts += 1
            self._failures += 1
            initial, cap = self.backoff
            # the exponent is capped too: an hour of failures must not overflow a float
            delay = min(cap, initial * 2 ** min(self._failures - 1, 32))
            self._retry_at = time.monotonic() + delay
            self._requeue(batch)
        log.warning(
            "staging insert failed; rows kept for a retry",
            rows=sum(len(c.rows) for c in batch),
            retry_in_seconds=delay,
            error=str(exc)[:500],
        )

    def _refused(self, batch: list[_Call], exc: StagingRefused) -> None:
        """Drop the calls holding rows BigQuery called invalid; retry the rest at once."""
        kept: list[_Call] = []
        dropped: list[_Call] = []
        start = 0
        for call in batch:
            end = start + len(call.rows)
            blamed = any(start <= i < end for i in exc.invalid)
            (dropped if blamed else kept).append(call)
            start = end
        if not dropped:  # nobody to blame: an ordinary failure, retried after a backoff
            self._failed(batch, exc)
            return
        with self._cond:
            self.failed_inserts += 1
            self._in_flight -= sum(len(c.rows) for c in dropped)
            self._requeue(kept)
        log.error(
            "staging refused rows as invalid; their states stay unwritten for the tick",
            dropped_rows=sum(len(c.rows) for c in dropped),
            error=str(exc)[:1000],
        )

    def _requeue(self, calls: list[_Call]) -> None:
        """Put taken calls back at the front, in order (caller holds the lock)."""
        rows = sum(len(c.rows) for c in calls)
        self._in_flight -= rows
        if self._closed:
            if rows:
                log.warning(
                    "staged rows dropped unwritten at close; the tick rewrites them", rows=rows
                )
        else:
            self._queue.extendleft(reversed(calls))
            self._queued += rows
        self._cond.notify_all()

    def _at_exit(self) -> None:
        pending = self.pending
        drained = self.close(EXIT_FLUSH_SECONDS)
        log.info("staging flushed at exit", rows=pending, drained=drained, inserts=self.inserts)
