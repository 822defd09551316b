"""The ensemble: durable per-pitcher-game aggregation, finalized exactly once.

State lives in an AggregationStateStore and changes only by compare-and-set, so concurrent
or duplicated deliveries agree on one outcome. System results are kept in the state until
finalization; the outcome (the ensemble row) is decided and stored in the state first, then
the pitcher-game's rows (every on-time system row and the ensemble row) go to the sink in
one write, then the state is marked written — only once the sink says the rows are durable.
Results arriving after finalization are recorded as late, written on their own, and never
re-finalize.

Durability: a delivery is acknowledged once its outcome is in the aggregation state, which
is durable. A synchronous sink has the rows stored before the delivery returns; a deferred
sink (:class:`~strikeouts.pipeline.ports.DeferredPredictionSink`: the cloud function stages
them in batches within its flush interval) marks the state written later, from its own
thread. Either way the state says "finalized, not written" until the rows are stored, so if
the process dies first (or marking fails) the store's ``due`` lists it and the tick rewrites
the rows (``finalize(force=True)``), as does a duplicate delivery that finds it so; rows are
idempotent on their key (the cloud's MERGE keeps one row per key), so a rewrite of rows that
did arrive changes nothing.

Replays: "written" says the rows reached the destination once, not that they are there now
(a table emptied or restored from an older copy, another warehouse). So a pitcher-game message
for a pitcher-game already decided and written (a replay of its run, or a late registration)
re-offers all its rows through :func:`~strikeouts.pipeline.ports.restore`; the destination's
keyed MERGE writes exactly the keys it lacks, and counts them as restored. The state decides
each outcome once; it never decides whether the destination has the rows.

Shadows: a result with ``model_alias='challenger'`` never touches the aggregation state (so
it can neither complete, nor change, nor delay a pitcher-game's outcome): it is written alone,
as one row, to the shadow sink (``shadow_predictions``, keyed like the predictions, so a
duplicate or a replay writes nothing new).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from strikeouts.logs import get_logger
from strikeouts.names import CHALLENGER
from strikeouts.pipeline.clock import Clock, from_iso, to_iso
from strikeouts.pipeline.config import PipelineConfig
from strikeouts.pipeline.ensemble import adaptive_weights, base_weights, combine
from strikeouts.pipeline.errors import UnknownSystem
from strikeouts.pipeline.key_locks import KeyLocks
from strikeouts.pipeline.messages import Payload, PitcherGameKey, decode
from strikeouts.pipeline.payloads import (
    AggregationState,
    PitcherGameHeader,
    SystemPredictionMessage,
    new_state,
)
from strikeouts.pipeline.ports import (
    AggregationStateStore,
    PredictionSink,
    TrailingAccuracy,
    Versioned,
    restore,
    write_then,
)
from strikeouts.pipeline.rows import (
    ensemble_row,
    from_json,
    latest_train_end,
    line_of,
    system_row,
    to_json,
)
from strikeouts.pipeline.state import READ_FIRST, Mutation, compare_and_set

DEADLINE_PASSED = "deadline passed"
RE_OFFERED = "decided pitcher-game registered again: its rows re-offered to the destination"

log = get_logger(__name__)


def _deadline(state: AggregationState) -> datetime:
    return from_iso(state["header"]["deadline"])


class EnsembleHandler:
    """Handles ``pitcher-games`` (registration), ``system-predictions`` and ``ensemble-ticks``."""

    def __init__(
        self,
        store: AggregationStateStore,
        sink: PredictionSink,
        config: PipelineConfig,
        clock: Clock,
        accuracy: TrailingAccuracy | None = None,
        shadow: PredictionSink | None = None,
    ) -> None:
        self.store = store
        self.sink = sink
        self.shadow = shadow
        self.config = config
        self.clock = clock
        self.accuracy = accuracy
        # one state change per pitcher-game at a time in this instance: the systems' results
        # (and the deferred sink's "written" mark) arrive together, and each of them racing
        # the others cost a conditional write refused (HTTP 412) and a re-read; across
        # instances the compare-and-set alone still decides
        self._changing = KeyLocks()

    # --- entry points ---------------------------------------------------------------------

    def on_pitcher_game(self, payload: Payload) -> None:
        """Register a pitcher-game so its deadline is tracked even if no system ever answers."""
        message = decode("pitcher-game", payload, self.config.max_message_bytes)
        header = message["header"]

        def register(state: AggregationState | None) -> AggregationState | None:
            return new_state(header) if state is None else None

        key = PitcherGameKey.of(header)
        # usually the first message of its pitcher-game: create without reading first
        stored = self._update(key, register, start=None)
        state = stored.state
        if state["outcome"] is None:
            return
        if state["written"]:
            # never trust "written" to skip a replay: the destination may have lost the rows
            offered = restore(self.sink, self._rows(state, late=True))
            log.info(RE_OFFERED, rows=offered)
        else:
            self._write_outcome(key, stored)

    def on_result(self, payload: Payload) -> None:
        """Record one system result; finalize when every expected system has reported."""
        message = decode("system-prediction", payload, self.config.max_message_bytes)
        header = message["header"]
        system = message["system_id"]
        if system not in header["expected_systems"]:
            raise UnknownSystem(
                f"system_id={system!r} is not expected for this pitcher-game "
                f"(expected: {', '.join(header['expected_systems'])})"
            )
        if message.get("model_alias") == CHALLENGER:
            self._write_shadow(message)
            return
        key = PitcherGameKey.of(header)
        now = self.clock.now()

        def record(state: AggregationState | None) -> AggregationState | None:
            state = state or new_state(header)
            if system in state["results"] or system in state["late"]:
                return None
            bucket = state["late"] if state["outcome"] is not None else state["results"]
            bucket[system] = message.copy()
            # the result that completes the set decides the outcome in the same write
            self._decide(state, now, force=False)
            return state

        stored = self._update(key, record)
        state = stored.state
        if system in state["late"]:
            # rewritten on every delivery of it: a late row has no "written" mark of its own
            result = state["late"][system]
            self.sink.write([self._arrival_row(result, late=True)])
        if state["outcome"] is None and set(header["expected_systems"]) <= set(state["results"]):
            self.finalize(key)
        elif state["outcome"] is not None and not state["written"]:
            self._write_outcome(key, stored)

    def tick(self, payload: Payload | None = None) -> list[PitcherGameKey]:
        """Finalize every overdue pitcher-game (with the fallback) and repair unwritten outcomes."""
        if payload is not None:
            decode("ensemble-tick", payload, self.config.max_message_bytes)
        now = self.clock.now()
        done = []
        for key in self.store.due(now):
            self.finalize(key, force=True)
            done.append(key)
        return done

    def _write_shadow(self, result: SystemPredictionMessage) -> None:
        """A challenger's result as its own row in the shadow sink, outside the state."""
        if self.shadow is None:
            log.warning("challenger result dropped: no shadow sink", system_id=result["system_id"])
            return
        self.shadow.write([self._arrival_row(result, late=False)])

    # --- finalization ---------------------------------------------------------------------

    def finalize(self, key: PitcherGameKey, *, force: bool = False) -> None:
        """Decide the outcome once (complete, or ``force`` after the deadline) and write it."""
        now = self.clock.now()

        def decide(state: AggregationState | None) -> AggregationState | None:
            return state if state is not None and self._decide(state, now, force) else None

        stored = self._update(key, decide)
        if stored.state["outcome"] is not None and not stored.state["written"]:
            self._write_outcome(key, stored)

    def _decide(self, state: AggregationState, now: datetime, force: bool) -> bool:
        """Set the outcome once, if complete (or ``force`` past the deadline); True if set."""
        if state["outcome"] is not None:
            return False
        complete = set(state["header"]["expected_systems"]) <= set(state["results"])
        if not complete and not (force and now >= _deadline(state)):
            return False
        state["outcome"] = to_json(self._outcome_row(state, now, complete))
        state["finalized_at"] = to_iso(now)
        return True

    def _outcome_row(
        self, state: AggregationState, now: datetime, complete: bool
    ) -> dict[str, Any]:
        header = state["header"]
        expected = header["expected_systems"]
        outcome = combine(
            state["results"], expected, line_of(header), self.config, self._weights(header)
        )
        trained = latest_train_end(state["results"], outcome.contributing)
        row = ensemble_row(header, outcome, self.config, now, trained)
        if not complete and row["fallback_reason"] and state["results"]:
            row["fallback_reason"] = f"{DEADLINE_PASSED}; {row['fallback_reason']}"
        return row

    def _weights(self, header: PitcherGameHeader) -> dict[str, float] | None:
        expected = list(header["expected_systems"])
        if not self.config.adaptive_weights or self.accuracy is None:
            return None
        trailing = self.accuracy.trailing_mae(
            expected, date.fromisoformat(header["game_date"]), self.config.adaptive_window_days
        )
        return adaptive_weights(
            base_weights(expected, self.config),
            trailing,
            self.config.adaptive_blend,
            self.config.adaptive_min_samples,
        )

    def _write_outcome(self, key: PitcherGameKey, stored: Versioned) -> None:
        """Hand the rows to the sink; mark the state written once the sink says they are durable."""

        def mark_written(current: AggregationState | None) -> AggregationState | None:
            if current is None or current["written"]:
                return None
            current["written"] = True
            return current

        def done() -> None:
            # the version just saved or read is usually still current: no read before the write
            self._update(key, mark_written, start=stored)

        write_then(self.sink, self._rows(stored.state), done)

    def _rows(self, state: AggregationState, *, late: bool = False) -> list[dict[str, Any]]:
        """The on-time system rows and the ensemble row of a decided pitcher-game (and, with
        ``late``, the rows of results that arrived after it was decided)."""
        # processed when the pitcher-game was decided: the same however often rows are rebuilt
        decided = from_iso(state["finalized_at"])
        systems = [
            system_row(
                result, self.config, self._produced(result), late=False, processed_at=decided
            )
            for _, result in sorted(state["results"].items())
        ]
        late_rows = [
            self._arrival_row(result, late=True)
            for _, result in sorted(state["late"].items())
            if late
        ]
        outcome = state["outcome"]
        assert outcome is not None, "only a decided pitcher-game has rows"
        ensemble = [from_json(outcome)] if self.config.write_ensemble else []
        return [*systems, *ensemble, *late_rows]

    def _arrival_row(self, result: SystemPredictionMessage, *, late: bool) -> dict[str, Any]:
        """The row of a result written as it arrives (after the decision, or a shadow's),
        processed when it arrived."""
        produced = self._produced(result)
        return system_row(result, self.config, produced, late=late, processed_at=produced)

    # --- helpers --------------------------------------------------------------------------

    def _update(
        self, key: PitcherGameKey, mutate: Mutation, start: Versioned | str | None = READ_FIRST
    ) -> Versioned:
        with self._changing.hold(key):
            stored, _ = compare_and_set(
                self.store,
                key,
                mutate,
                deadline_of=_deadline,
                now=self.clock.now(),
                attempts=self.config.state_cas_attempts,
                start=start,
            )
        if stored is None:
            raise LookupError(f"no aggregation state for {key}")
        return stored

    def _produced(self, result: SystemPredictionMessage) -> datetime:
        return from_iso(result["produced_at"])
