"""The ports the pipeline handlers depend on, and the small values they exchange.

Handlers import only these Protocols; adapters (DuckDB, BigQuery, GCS, Pub/Sub, the feature
builder, the model store) live elsewhere and are picked by the entry points.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal, Protocol, runtime_checkable

from strikeouts.pipeline.messages import PitcherGameKey
from strikeouts.pipeline.payloads import AggregationState, LineMessage, PitcherGameMessage

SystemStatus = Literal["ok", "skip", "error"]


@dataclass(frozen=True)
class SystemResult:
    """What a system answers for one pitcher-game.

    ``predicted_strikeouts`` is an expected COUNT, ``p_over`` a PROBABILITY of going over
    the line (None without a line). ``confidence`` (0-100) and ``red_flags`` may be left
    unset: the system handler then fills them with the shared assessment.
    """

    predicted_strikeouts: float | None
    p_over: float | None = None
    confidence: float | None = None
    red_flags: tuple[str, ...] = ()
    status: SystemStatus = "ok"
    reason: str | None = None
    base_confidence: float | None = None
    """Confidence before the red-flag factors (set by the system handler)."""
    multiplier: float | None = None
    """The red-flag factor of the favoured side applied to the conviction."""
    model_version: str | None = None
    """The model version that answered, when the predictor says (it may change between
    calls: a predictor serving an alias follows its promotions)."""
    predicted_median: float | None = None
    """The median of the count distribution whose mean is ``predicted_strikeouts``."""
    count_dispersion: float | None = None
    """That distribution's NB2 dispersion (0 = Poisson), so the ensemble can mix the laws."""
    train_end: date | None = None
    """The answering model was fitted on starts dated before this day (None: unknown), so a
    row dated before it is marked in sample and kept out of accuracy."""

    def __post_init__(self) -> None:
        p = self.predicted_strikeouts
        if p is not None and not 0.0 <= p <= 27.0:
            raise ValueError(f"predicted_strikeouts={p} is not a strikeout count in [0, 27]")
        if self.p_over is not None and not 0.0 <= self.p_over <= 1.0:
            raise ValueError(f"p_over={self.p_over} is not a probability in [0, 1]")
        if self.confidence is not None and not 0.0 <= self.confidence <= 100.0:
            raise ValueError(f"confidence={self.confidence} is not on the 0-100 scale")
        if self.status == "ok" and p is None:
            raise ValueError("status 'ok' needs predicted_strikeouts")


@runtime_checkable
class Predictor(Protocol):
    """One prediction system, its model loaded once (e.g. ``v1_baseline@champion``)."""

    system_id: str
    model_version: str
    model_alias: str
    feature_set: str
    """Feature set the model reads; its version and coverage come from the message."""

    def predict(self, message: PitcherGameMessage) -> SystemResult:
        """Predict from a validated pitcher-game message (header + features)."""
        ...


@dataclass(frozen=True)
class Line:
    """A sportsbook strikeout line known at event time."""

    line: float
    over_odds: int | None = None
    under_odds: int | None = None
    book: str | None = None
    snapshot_at: str | None = None
    """When the books quoted it (ISO timestamp), when known."""

    def as_message(self) -> LineMessage:
        """The line as the ``line`` object of a pitcher-game header."""
        message: LineMessage = {
            "line": self.line,
            "over_odds": self.over_odds,
            "under_odds": self.under_odds,
            "book": self.book,
        }
        if self.snapshot_at is not None:
            message["snapshot_at"] = self.snapshot_at
        return message


@dataclass(frozen=True)
class PitcherGameRef:
    """One probable starter in one game, as fanout asks the feature source about it."""

    game_id: str
    game_date: date
    pitcher_id: int
    team: str
    opponent: str
    is_home: bool
    game_pk: int | None = None
    pitcher_name: str | None = None
    injured_list: bool | None = None
    """Whether the event says the starter is on the injured list (None: not said)."""
    injured_list_unknown: bool = False
    """The event says the starter's injured list could not be read (the row notes it)."""
    game_time: str | None = None
    """Scheduled first pitch (ISO timestamp, UTC), when the event gives it."""


@dataclass(frozen=True)
class FeatureRow:
    """The snapshot for one pitcher-game: named values (None = missing) and coverage per set."""

    features: Mapping[str, float | None]
    coverage: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class FeatureSnapshot:
    """Rows aligned with the requested pitcher-games, with the feature-set versions used."""

    rows: Sequence[FeatureRow]
    feature_set_versions: Mapping[str, str]


class FeatureSource(Protocol):
    """Point-in-time features: only games strictly before ``game_date`` feed them."""

    def snapshot(self, game_date: date, pitcher_games: Sequence[PitcherGameRef]) -> FeatureSnapshot:
        """One row per pitcher-game, in order."""
        ...


class LineSource(Protocol):
    """Sportsbook lines known at event time (used by fanout when the event carries none)."""

    def line_for(self, game_date: date, pitcher: PitcherGameRef) -> Line | None:
        """The line for ``pitcher`` on ``game_date``, or None."""
        ...


class Publisher(Protocol):
    """Sends one message to a topic (Pub/Sub, or the in-process bus)."""

    def publish(
        self, topic: str, message: Mapping[str, Any], attributes: Mapping[str, str] | None = None
    ) -> str:
        """Publish and return the transport's message id."""
        ...


class PredictionSink(Protocol):
    """Stores prediction rows idempotently on (run_id, game_id, pitcher_id, system_id)."""

    def write(self, rows: Sequence[Mapping[str, Any]]) -> int:
        """Write the rows whose key is new; returns how many were new."""
        ...


Done = Callable[[], None]
"""What to do once rows are durable (the ensemble marks its state written)."""


@runtime_checkable
class DeferredPredictionSink(PredictionSink, Protocol):
    """A PredictionSink that may make rows durable after ``write_then`` returns.

    ``write_then`` validates the rows at once (a bad row raises before anything is kept),
    then calls ``done`` exactly once, possibly on another thread, after the rows are
    durable, and never if they are not (the caller must then be able to rewrite them).
    """

    def write_then(self, rows: Sequence[Mapping[str, Any]], done: Done) -> int:
        """Accept ``rows``; call ``done`` once they are durable; returns how many were accepted."""
        ...


def write_then(sink: PredictionSink, rows: Sequence[Mapping[str, Any]], done: Done) -> int:
    """Write ``rows`` and call ``done`` once they are durable: deferred where ``sink`` can,
    otherwise ``write`` then ``done`` here (whose failure then reaches the caller)."""
    if isinstance(sink, DeferredPredictionSink):
        return sink.write_then(rows, done)
    written = sink.write(rows)
    done()
    return written


@runtime_checkable
class RestoringSink(PredictionSink, Protocol):
    """A PredictionSink that tells rows a replay restores from rows written the first time.

    ``restore`` takes the rows of a pitcher-game that the aggregation state already recorded
    as written; the destination's keyed MERGE keeps only the keys it lacks, and those are
    counted as restored (the state and the destination disagreed: rows were lost, or this
    is another destination).
    """

    def restore(self, rows: Sequence[Mapping[str, Any]]) -> int:
        """Re-offer ``rows`` (durable before it returns); returns how many were accepted."""
        ...


def restore(sink: PredictionSink, rows: Sequence[Mapping[str, Any]]) -> int:
    """Re-offer the rows of an already written pitcher-game: ``restore`` where ``sink`` tells
    restored rows apart, otherwise a plain (keyed, idempotent) ``write``."""
    if isinstance(sink, RestoringSink):
        return sink.restore(rows)
    return sink.write(rows)


class RejectionSink(Protocol):
    """Records permanently refused messages with their raw payload and reason."""

    def reject(
        self,
        *,
        handler: str,
        topic: str | None,
        message_id: str | None,
        raw_payload: bytes | str,
        reason: str,
        received_at: datetime,
    ) -> None:
        """Record one rejection (the same handler + payload is recorded once)."""
        ...


@dataclass(frozen=True)
class Versioned:
    """A stored aggregation state with the version a compare-and-set must name."""

    version: int
    state: AggregationState


class AggregationStateStore(Protocol):
    """Durable per-pitcher-game state with compare-and-set writes.

    ``save(..., expected_version=None)`` creates and fails if the key exists (GCS
    ``if_generation_match=0``); otherwise it fails unless the stored version equals
    ``expected_version``. A failed compare-and-set raises StateConflict.
    """

    def load(self, key: PitcherGameKey) -> Versioned | None:
        """The stored state, or None."""
        ...

    def save(
        self,
        key: PitcherGameKey,
        state: AggregationState,
        *,
        expected_version: int | None,
        deadline: datetime,
        finalized: bool,
        written: bool,
        now: datetime,
    ) -> int:
        """Write ``state`` if the version matches; returns the new version."""
        ...

    def due(self, now: datetime) -> list[PitcherGameKey]:
        """Keys not finalized whose deadline has passed, or finalized but not yet written."""
        ...


class ModelStore(Protocol):
    """Model artifacts by system and alias (``strikeouts.models`` provides the real one)."""

    def load(self, system_id: str, alias: str) -> Any:
        """The artifact ``system_id@alias``."""
        ...


class TrailingAccuracy(Protocol):
    """Walk-forward accuracy of each system over graded games strictly before ``as_of``."""

    def trailing_mae(
        self, system_ids: Sequence[str], as_of: date, window_days: int
    ) -> Mapping[str, tuple[float, int]]:
        """System id -> (mean absolute error, graded predictions)."""
        ...


@dataclass(frozen=True)
class StateMark:
    """What a state store says of one pitcher-game without its state: enough to tell whether
    a run's date is complete (:mod:`strikeouts.pipeline.completion`)."""

    key: PitcherGameKey
    game_date: str
    run_size: int | None
    """The header's ``run_pitcher_games`` (None: an older message that did not say)."""
    written: bool

    @classmethod
    def of(cls, key: PitcherGameKey, state: Mapping[str, Any], written: bool) -> StateMark:
        """The mark of ``state`` (stored under ``key``)."""
        header = state["header"]
        size = header.get("run_pitcher_games")
        return cls(key, str(header["game_date"]), None if size is None else int(size), written)


@runtime_checkable
class MarkedStateStore(AggregationStateStore, Protocol):
    """An aggregation state store that can list the marks of every state it holds."""

    def marks(self) -> list[StateMark]:
        """One mark per stored pitcher-game."""
        ...


@dataclass(frozen=True)
class CompletionRecord:
    """A run date's entry in the completion ledger."""

    published: bool
    """True once the completion is known to be published."""
    claimed_at: datetime


class CompletionLedger(Protocol):
    """One record per (run, game date) whose completion was announced, never deleted by the
    aggregation state's retention: what makes a replay or a redrive announce nothing new."""

    def record(self, completion_id: str) -> CompletionRecord | None:
        """The record of ``completion_id`` (``RUN_ID/GAME_DATE``), or None."""
        ...

    def claim(self, message: Mapping[str, Any], now: datetime) -> bool:
        """Create the record unpublished, only if absent; True when this call created it."""
        ...

    def confirm(self, message: Mapping[str, Any], now: datetime) -> None:
        """Mark the record published (after the message is with the transport)."""
        ...


class CompletionPublisher(Protocol):
    """Publishes a predictions-complete message and returns once the transport holds it."""

    def publish_completion(self, message: Mapping[str, Any]) -> str:
        """Publish and wait; returns the transport's message id."""
        ...
