"""The typed shapes of the pipeline's messages and of the ensemble's aggregation state.

Invariant: each TypedDict here has exactly the properties of its JSON Schema in
``schemas/messages`` (the schema's required properties are its required keys, the others
``NotRequired``); ``tests/pipeline/test_payloads.py`` holds the two together. The schemas stay
the source of truth and the validator; these types only say, to the type checker, what a
message that passed :func:`~strikeouts.pipeline.messages.decode` holds. A decoded message is
still the plain ``dict`` it was parsed into: typing it changes nothing at run time.
"""

# no ``from __future__ import annotations``: TypedDict reads NotRequired at run time (the
# schema test compares __required_keys__), which Python 3.11 cannot from string annotations
from typing import Any, Literal, NotRequired, TypedDict

SystemStatus = Literal["ok", "skip", "error"]


class LineMessage(TypedDict):
    """A sportsbook line (``_common`` ``line``)."""

    line: float
    over_odds: NotRequired[int | None]
    under_odds: NotRequired[int | None]
    book: NotRequired[str | None]
    snapshot_at: NotRequired[str]


class PitcherGameHeader(TypedDict):
    """Who, where and when, and what the ensemble waits for (``pitcher-game`` ``header``)."""

    run_id: str
    run_created_at: str
    game_id: str
    game_pk: NotRequired[int | None]
    game_date: str
    game_time: NotRequired[str]
    pitcher_id: int
    pitcher_name: NotRequired[str | None]
    team: str
    opponent: str
    is_home: bool
    deadline: str
    expected_systems: list[str]
    line: LineMessage | None
    run_pitcher_games: NotRequired[int]


class PitcherGameMessage(TypedDict):
    """One probable starter in one game with its point-in-time feature snapshot."""

    schema_version: int
    message_type: Literal["pitcher-game"]
    header: PitcherGameHeader
    features: dict[str, float | None]
    feature_set_versions: dict[str, str]
    feature_coverage: dict[str, float]


class SystemPredictionMessage(TypedDict):
    """One system's result for one pitcher-game (the ensemble keeps it in its state)."""

    schema_version: int
    message_type: Literal["system-prediction"]
    header: PitcherGameHeader
    system_id: str
    model_version: NotRequired[str | None]
    model_alias: NotRequired[str | None]
    train_end: NotRequired[str | None]
    feature_set: NotRequired[str | None]
    feature_set_version: NotRequired[str | None]
    feature_coverage: NotRequired[float | None]
    status: SystemStatus
    reason: NotRequired[str | None]
    predicted_strikeouts: float | None
    predicted_median: NotRequired[float | None]
    count_dispersion: NotRequired[float | None]
    p_over: float | None
    confidence: float | None
    base_confidence: NotRequired[float | None]
    confidence_multiplier: NotRequired[float | None]
    red_flags: list[str]
    produced_at: str


class Starter(TypedDict):
    """A probable starter of a scheduled game."""

    pitcher_id: int
    pitcher_name: NotRequired[str]
    team: str
    line: NotRequired[LineMessage | None]
    injured_list: NotRequired[bool]
    injured_list_unknown: NotRequired[bool]


class ScheduledGame(TypedDict):
    """One game of a game-schedule event."""

    game_id: str
    game_pk: NotRequired[int | None]
    game_time: NotRequired[str]
    home_team: str
    away_team: str
    starters: list[Starter]


class GameScheduleEvent(TypedDict):
    """One date's games with their probable starters (fanout's trigger)."""

    schema_version: int
    message_type: Literal["game-schedule"]
    run_id: str
    run_created_at: str
    game_date: str
    deadline: NotRequired[str]
    expected_systems: NotRequired[list[str]]
    games: list[ScheduledGame]


class EnsembleTick(TypedDict):
    """The scheduled nudge that finalizes overdue pitcher-games."""

    schema_version: int
    message_type: Literal["ensemble-tick"]
    scheduled_at: NotRequired[str]


class GamedayTrigger(TypedDict):
    """The scheduler's trigger of a game-day function."""

    schema_version: int
    message_type: Literal["gameday-trigger"]
    scheduled_at: NotRequired[str]
    game_date: NotRequired[str]


class PredictionsComplete(TypedDict):
    """Every pitcher-game of one run's date is decided and written (the tick says so once)."""

    schema_version: int
    message_type: Literal["predictions-complete"]
    completion_id: str
    run_id: str
    run_created_at: NotRequired[str]
    game_date: str
    pitcher_games: int
    rows_by_system: dict[str, int]
    fallbacks: int
    errors: int
    skips: int
    finalized_by_deadline: int
    completed_at: str


class AggregationState(TypedDict):
    """What the ensemble keeps per pitcher-game, changed only by compare-and-set.

    ``results`` and ``late`` hold the system results by system id (on time, and after the
    outcome was decided); ``outcome`` is the ensemble row as JSON once decided; ``written``
    says its rows reached the sink once."""

    header: PitcherGameHeader
    results: dict[str, SystemPredictionMessage]
    late: dict[str, SystemPredictionMessage]
    outcome: dict[str, Any] | None
    written: bool
    finalized_at: NotRequired[str]


def new_state(header: PitcherGameHeader) -> AggregationState:
    """The state of a pitcher-game no system has answered yet."""
    return {"header": header.copy(), "results": {}, "late": {}, "outcome": None, "written": False}
