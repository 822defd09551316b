"""Run completion: one ``predictions-complete`` message per run and game date, once every
pitcher-game fanout published for it is decided and its rows are written.

Invariants:

- detection only reads the pitcher-game states: the tick lists their marks (run, date, the
  run size fanout put in every header, written) and a run's date is complete when as many
  distinct pitcher-games are written as fanout published. A state goes from unwritten to
  written once and never back, so a complete run stays complete: whatever the order or the
  duplicates of the deliveries, the first sweep after the last write sees it (the tick runs
  on a schedule, and the embedded runner ticks after every drain);
- announcing is a create-only claim in the :class:`~strikeouts.pipeline.ports.CompletionLedger`
  (GCS ``if_generation_match=0``, a keyed insert in the warehouse), then the publish, then
  the record marked published. Two sweepers that both see a run complete race on the claim
  and one wins. A replay or a redrive of the run finds the record and publishes nothing new,
  even after the aggregation state's retention deleted the run's states (the ledger is kept
  apart from them);
- a claim whose publish never happened (the process died between the two, or the publish
  failed) is taken up by a later sweep once it is older than ``lease``: the message then
  goes out with the same ``completion_id``, the key consumers dedupe on. That is the one
  way a second copy can exist: a publisher that dies after publishing and before
  confirming.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from strikeouts.logs import get_logger
from strikeouts.pipeline.clock import to_iso
from strikeouts.pipeline.config import PipelineConfig
from strikeouts.pipeline.messages import SCHEMA_VERSION, PitcherGameKey, validate
from strikeouts.pipeline.payloads import AggregationState, PredictionsComplete
from strikeouts.pipeline.ports import (
    AggregationStateStore,
    CompletionLedger,
    CompletionPublisher,
    MarkedStateStore,
    StateMark,
)

# a claim not confirmed for this long is taken to have died before publishing
DEFAULT_LEASE = timedelta(minutes=5)

log = get_logger(__name__)


@dataclass(frozen=True)
class RunDate:
    """The pitcher-games of one run and game date, as the state marks show them."""

    run_id: str
    game_date: str
    size: int | None
    keys: tuple[PitcherGameKey, ...]
    written: int

    @property
    def completion_id(self) -> str:
        """``RUN_ID/GAME_DATE``: the ledger's key and the message's dedupe key."""
        return completion_id(self.run_id, self.game_date)

    @property
    def complete(self) -> bool:
        """Every pitcher-game fanout published is written (unknown size: never)."""
        return self.size is not None and self.written >= self.size


def completion_id(run_id: str, game_date: str) -> str:
    """The key of a run's date in the ledger and on the message."""
    return f"{run_id}/{game_date}"


def run_dates(marks: Iterable[StateMark]) -> list[RunDate]:
    """The marks grouped by run and game date (the largest run size any header states)."""
    groups: dict[tuple[str, str], list[StateMark]] = {}
    for mark in marks:
        groups.setdefault((mark.key.run_id, mark.game_date), []).append(mark)
    out = []
    for (run_id, game_date), group in sorted(groups.items()):
        sizes = [m.run_size for m in group if m.run_size is not None]
        out.append(
            RunDate(
                run_id=run_id,
                game_date=game_date,
                size=max(sizes) if sizes else None,
                keys=tuple(sorted({m.key for m in group})),
                written=len({m.key for m in group if m.written}),
            )
        )
    return out


def completion_message(
    run: RunDate, states: Sequence[AggregationState], config: PipelineConfig, now: datetime
) -> PredictionsComplete:
    """The validated predictions-complete message of ``run`` from its decided states."""
    rows: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    fallbacks = by_deadline = 0
    for state in states:
        for system, result in state["results"].items():
            rows[system] += 1
            statuses[result["status"]] += 1
        outcome = state["outcome"]
        assert outcome is not None, "only decided states are counted (see _states)"
        if config.write_ensemble:
            rows[outcome["system_id"]] += 1
        fallbacks += outcome["status"] == "fallback"
        by_deadline += not set(state["header"]["expected_systems"]) <= set(state["results"])
    message: PredictionsComplete = {
        "schema_version": SCHEMA_VERSION,
        "message_type": "predictions-complete",
        "completion_id": run.completion_id,
        "run_id": run.run_id,
        "game_date": run.game_date,
        "pitcher_games": len(states),
        "rows_by_system": dict(sorted(rows.items())),
        "fallbacks": fallbacks,
        "errors": statuses["error"],
        "skips": statuses["skip"],
        "finalized_by_deadline": by_deadline,
        "completed_at": to_iso(now),
    }
    if states:
        message["run_created_at"] = states[0]["header"]["run_created_at"]
    validate("predictions-complete", message)
    return message


class RunCompletions:
    """Announces each complete run date once: ledger claim, publish, confirm."""

    def __init__(
        self,
        ledger: CompletionLedger,
        publisher: CompletionPublisher,
        config: PipelineConfig,
        lease: timedelta = DEFAULT_LEASE,
    ) -> None:
        self.ledger = ledger
        self.publisher = publisher
        self.config = config
        self.lease = lease
        # confirmed in the ledger: not asked again by this instance
        self._announced: set[str] = set()

    def sweep(self, store: AggregationStateStore, now: datetime) -> list[PredictionsComplete]:
        """Announce every complete run date not yet announced; returns what was published."""
        if not isinstance(store, MarkedStateStore):
            return []
        published = []
        for run in run_dates(store.marks()):
            if run.complete and run.completion_id not in self._announced:
                message = self._announce(store, run, now)
                if message is not None:
                    published.append(message)
        return published

    def _announce(
        self, store: AggregationStateStore, run: RunDate, now: datetime
    ) -> PredictionsComplete | None:
        record = self.ledger.record(run.completion_id)
        if record is not None and record.published:
            self._announced.add(run.completion_id)
            return None
        if record is not None and now - record.claimed_at < self.lease:
            return None  # claimed by a sweeper that may still be publishing
        states = self._states(store, run)
        if len(states) < (run.size or 0):
            return None  # a state changed or went since the listing: the next sweep decides
        message = completion_message(run, states, self.config, now)
        if record is None and not self.ledger.claim(message, now):
            return None  # another sweeper claimed it first
        if record is not None:
            log.warning(
                "completion claimed but never confirmed: published again", id=run.completion_id
            )
        self.publisher.publish_completion(message)
        self.ledger.confirm(message, now)
        self._announced.add(run.completion_id)
        log.info("predictions complete", completion_id=run.completion_id, pitcher_games=run.size)
        return message

    def _states(self, store: AggregationStateStore, run: RunDate) -> list[AggregationState]:
        states = []
        for key in run.keys:
            stored = store.load(key)
            if stored is not None and stored.state.get("outcome") is not None:
                states.append(stored.state)
        return states
