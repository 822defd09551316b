"""Deterministic test doubles for the pipeline: systems, a feature source, schedule events."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from strikeouts.pipeline.clock import FakeClock, to_iso
from strikeouts.pipeline.config import PipelineConfig
from strikeouts.pipeline.errors import StateConflict
from strikeouts.pipeline.messages import PitcherGameKey
from strikeouts.pipeline.ports import (
    AggregationStateStore,
    FeatureRow,
    FeatureSnapshot,
    PitcherGameRef,
    SystemResult,
    Versioned,
)
from strikeouts.pipeline.recording import RecordingPublisher

# Features of a well-established starter: no red flag fires.
STEADY = {
    "season_starts_before": 10.0,
    "career_starts_before": 60.0,
    "avg_outs_last3": 17.0,
    "ip_avg_last5": 5.7,
    "k_std_last10": 2.0,
    "days_rest": 5.0,
    "pitches_last30d": 480.0,
    "starts_last30d": 5.0,
    "k_avg_last5": 6.4,
}


@dataclass
class StubPredictor:
    """A deterministic system: a fixed count (or a function of the message), optional failures."""

    system_id: str
    predicted: float
    p_over: float | None = None
    fail: bool = False
    model_version: str = "1"
    model_alias: str = "champion"
    feature_set: str = "v1_baseline"
    calls: int = 0
    train_end: date | None = None

    def predict(self, message: Mapping[str, Any]) -> SystemResult:
        self.calls += 1
        if self.fail:
            raise RuntimeError(f"{self.system_id} model exploded")
        has_line = message["header"]["line"] is not None
        return SystemResult(
            self.predicted, self.p_over if has_line else None, train_end=self.train_end
        )


@dataclass
class StubFeatures:
    """A FeatureSource answering the same snapshot for every pitcher (or one per pitcher id)."""

    features: Mapping[str, float | None] = field(default_factory=lambda: dict(STEADY))
    per_pitcher: dict[int, Mapping[str, float | None]] = field(default_factory=dict)
    coverage: float = 0.9
    calls: int = 0

    def snapshot(self, game_date: date, pitcher_games: Sequence[PitcherGameRef]) -> FeatureSnapshot:
        self.calls += 1
        rows = [
            FeatureRow(
                features=self.per_pitcher.get(ref.pitcher_id, self.features),
                coverage={"v1_baseline": self.coverage, "v1_6_rolling": self.coverage},
            )
            for ref in pitcher_games
        ]
        return FeatureSnapshot(rows, {"v1_baseline": "fs-2024.1", "v1_6_rolling": "fs-2024.1"})


def schedule_event(
    clock: FakeClock,
    run_id: str = "run-1",
    *,
    line: float | None = 5.5,
    games: int = 1,
    expected: list[str] | None = None,
) -> dict[str, Any]:
    """A game-schedule event with ``games`` games of two starters each."""
    teams = ["NYY", "BOS", "LAD", "SFG", "HOU", "SEA"]
    out_games = []
    for g in range(games):
        home, away = teams[2 * g], teams[2 * g + 1]
        starters = []
        for k, team in enumerate((home, away)):
            starter: dict[str, Any] = {
                "pitcher_id": 600000 + 10 * g + k,
                "pitcher_name": f"Pitcher {g}{k}",
                "team": team,
            }
            if line is not None:
                starter["line"] = {"line": line, "over_odds": -115, "under_odds": -105}
            starters.append(starter)
        out_games.append(
            {
                "game_id": f"{home}202406010",
                "game_pk": 745000 + g,
                "home_team": home,
                "away_team": away,
                "starters": starters,
            }
        )
    event: dict[str, Any] = {
        "schema_version": 1,
        "message_type": "game-schedule",
        "run_id": run_id,
        "run_created_at": to_iso(clock.now()),
        "game_date": "2024-06-01",
        "games": out_games,
    }
    if expected is not None:
        event["expected_systems"] = expected
    return event


def two_systems(baseline: float = 6.0, rolling: float = 7.0) -> list[StubPredictor]:
    """v1_baseline and v1_6_rolling answering fixed counts with agreeing probabilities."""
    return [
        StubPredictor("v1_baseline", baseline, p_over=0.55),
        StubPredictor("v1_6_rolling", rolling, p_over=0.65, feature_set="v1_6_rolling"),
    ]


TWO_SYSTEMS = ("v1_baseline", "v1_6_rolling")


def two_system_config(**overrides: Any) -> PipelineConfig:
    """The pipeline expecting the two stub systems of :func:`two_systems` (the registry holds
    more: with them expected, every pitcher-game would wait for its deadline)."""
    return PipelineConfig(**{"expected_systems": list(TWO_SYSTEMS), **overrides})


Recorder = RecordingPublisher  # a Publisher that keeps what it is given


class CountingStore:
    """A thread-safe spy in front of a state store: the loads, saves and conflicts reaching it
    (``fail_next_save`` makes the next save raise that exception instead)."""

    def __init__(self, inner: AggregationStateStore) -> None:
        self.inner = inner
        self.loads = 0
        self.saves = 0
        self.conflicts = 0
        self.fail_next_save: Exception | None = None
        self._lock = threading.Lock()

    def load(self, key: PitcherGameKey) -> Versioned | None:
        with self._lock:
            self.loads += 1
        return self.inner.load(key)

    def save(self, key: PitcherGameKey, state: Mapping[str, Any], **kwargs: Any) -> int:
        with self._lock:
            self.saves += 1
            failure, self.fail_next_save = self.fail_next_save, None
        if failure is not None:
            raise failure
        try:
            return self.inner.save(key, state, **kwargs)
        except StateConflict:
            with self._lock:
                self.conflicts += 1
            raise

    def due(self, now: datetime) -> list[PitcherGameKey]:
        return self.inner.due(now)
