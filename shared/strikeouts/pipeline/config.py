"""Every pipeline threshold in one place: recommendation, confidence, red flags, ensemble, delivery.

Nothing else in the pipeline holds a tuning number; handlers receive a :class:`PipelineConfig`.
Each field can be overridden with a ``STRIKEOUTS_PIPELINE_*`` environment variable.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from strikeouts.models.systems import base_weights as registered_weights
from strikeouts.models.systems import system_ids as registered_systems

FlagAction = Literal["skip", "multiplier"]
Comparison = Literal["lt", "le", "gt", "ge", "eq"]


Side = Literal["OVER", "UNDER"]


class Condition(BaseModel):
    """``feature <comparison> threshold`` on the pitcher-game snapshot."""

    feature: str
    """Feature the condition reads; a missing value never satisfies it."""

    comparison: Comparison
    threshold: float


class RedFlagRule(BaseModel):
    """One red flag: raised when every condition holds (a missing input never raises it)."""

    conditions: list[Condition] = Field(min_length=1)

    action: FlagAction
    """``skip``: the row gets status 'skip' with the flag as reason; ``multiplier``: the
    conviction (confidence above 50) is scaled by the factor of the side the row favours."""

    over: float = Field(default=1.0, ge=0.0, le=2.0)
    """Factor when the row favours OVER (``multiplier`` rules)."""

    under: float = Field(default=1.0, ge=0.0, le=2.0)
    """Factor when the row favours UNDER (``multiplier`` rules)."""

    description: str = ""

    def factor(self, side: Side) -> float:
        """The factor of ``side``."""
        return self.over if side == "OVER" else self.under


def _when(feature: str, comparison: Comparison, threshold: float) -> Condition:
    return Condition(feature=feature, comparison=comparison, threshold=threshold)


def _default_flags() -> dict[str, RedFlagRule]:
    """The replaced system's rules where they were right (SEED_RULES.md), in its order; each
    value is the seed's or measured walk-forward (docs/MODELING.md, "Red-flag thresholds and the
    agreement boundary", `benchmarks/thresholds.py`)."""
    return {
        "injured_list": RedFlagRule(
            conditions=[_when("on_injured_list", "ge", 1)],
            action="skip",
            description="on the injured list (the starter's 'injured_list' in the "
            "game-schedule event: live slates read it from the Stats API's 40-man rosters)",
        ),
        "injured_list_unknown": RedFlagRule(
            conditions=[_when("injured_list_unknown", "ge", 1)],
            action="multiplier",
            over=1.0,
            under=1.0,
            description="a note, not a penalty: the injured list of the starter's team could "
            "not be read (source down, nothing cached), so the injured_list skip was not checked",
        ),
        "first_start_no_history": RedFlagRule(
            conditions=[
                _when("season_starts_before", "eq", 0),
                _when("career_starts_before", "lt", 5),
            ],
            action="skip",
            description="first start of the season with fewer than 5 earlier starts to lean on",
        ),
        "opener": RedFlagRule(
            conditions=[_when("ip_avg_last5", "lt", 4.0)],
            action="skip",
            description="fewer than 4 innings a start over the last 5 (the seed's lookback): an "
            "opener or bullpen game",
        ),
        "too_few_prior_starts": RedFlagRule(
            conditions=[_when("career_starts_before", "lt", 2)],
            action="skip",
            description="fewer than 2 career starts: too little history to predict",
        ),
        "few_season_starts": RedFlagRule(
            conditions=[_when("season_starts_before", "lt", 3)],
            action="multiplier",
            over=0.7,
            under=0.7,
            description="fewer than 3 starts this season: rates lean on last season",
        ),
        "high_k_variance": RedFlagRule(
            conditions=[_when("k_std_last10", "gt", 3.0)],
            action="multiplier",
            over=0.4,
            under=1.1,
            description="strikeout standard deviation above 3 over the last 10 starts (the "
            "seed's 4 flags almost no start in our data): favoured OVERs hit 47% against 54% "
            "walk-forward, so the seed's factors (OVER × 0.4, UNDER × 1.1)",
        ),
        "short_rest": RedFlagRule(
            conditions=[_when("days_rest", "lt", 4)],
            action="multiplier",
            over=0.7,
            description="fewer than 4 days since the previous start (lowers OVER only)",
        ),
        "heavy_recent_workload": RedFlagRule(
            conditions=[_when("starts_last30d", "gt", 6)],
            action="multiplier",
            over=0.85,
            description="more than 6 starts in the last 30 days (lowers OVER only)",
        ),
    }


class PipelineConfig(BaseSettings):
    """Thresholds and policies of the event pipeline."""

    model_config = SettingsConfigDict(env_prefix="STRIKEOUTS_PIPELINE_", extra="ignore")

    # --- recommendation -------------------------------------------------------------------
    edge_threshold: float = Field(default=0.5, ge=0.0)
    """|predicted − line| (in K) needed for OVER/UNDER; below it the recommendation is PASS."""

    # --- confidence (one 0-100 scale: the chance the favoured side wins) ------------------
    min_confidence: float = Field(default=60.0, ge=50.0, le=100.0)
    """Below this confidence an OVER/UNDER call becomes PASS."""

    multiplier_floor: float = Field(default=0.3, ge=0.0, le=1.0)
    """Lowest product of red-flag and ensemble factors (the conviction never drops below it)."""

    single_system_factor: float = Field(default=0.8, gt=0.0, le=1.0)
    """Ensemble conviction factor when only one system contributed."""

    red_flags: dict[str, RedFlagRule] = Field(default_factory=_default_flags)
    """Red-flag rules by flag name."""

    # --- ensemble -------------------------------------------------------------------------
    ensemble_system_id: str = "ensemble_v1"
    """System id of the ensemble rows."""

    expected_systems: list[str] = Field(default_factory=registered_systems)
    """Systems the ensemble waits for when the schedule event does not name them (default:
    every registered system; a rollout phase names fewer)."""

    write_ensemble: bool = True
    """Write the ensemble row of each pitcher-game. False in the rollout's first phases (only
    system rows are written; the ensemble still waits for the systems and writes their rows)."""

    base_weights: dict[str, float] = Field(default_factory=registered_weights)
    """Base weights (default: each registered system's); renormalized over the systems present."""

    default_weight: float = Field(default=0.2, gt=0.0)
    """Base weight of a system with no entry in ``base_weights`` (a new system)."""

    pick_system: str | None = "v2_market"
    """The system whose law the ensemble publishes whenever it answered (weight 1, the others
    0); the weights above apply only without it. Walk-forward 2025-06..2026-05, no weighting
    of the three systems kept the ensemble's median MAE and Brier both no worse than
    v2_market's (docs/MODELING.md), so its call is the pick. None: always the weights."""

    agree_within: float = Field(default=1.0, ge=0.0)
    """Systems whose predictions span less than this many K agree ("strong"): conviction ×
    ``agree_factor``; below ``disagree_beyond`` they agree "moderately" (× 1). Strict, as the
    seed's (< 1.0, < 2.0): docs/MODELING.md, "Red-flag thresholds and the agreement boundary"."""

    agree_factor: float = Field(default=1.1, gt=0.0)
    disagree_beyond: float = Field(default=2.0, ge=0.0)
    """Systems whose predictions span this many K or more disagree: conviction ×
    ``disagree_factor``."""

    disagree_factor: float = Field(default=0.85, gt=0.0)

    adaptive_weights: bool = False
    """Blend base weights with inverse trailing walk-forward MAE (off by default)."""

    adaptive_blend: float = Field(default=0.5, ge=0.0, le=1.0)
    """Share of the inverse-MAE weights in the blend (0 = base weights only)."""

    adaptive_min_samples: int = Field(default=50, ge=1)
    """Graded predictions a system needs before its trailing MAE is used."""

    adaptive_window_days: int = Field(default=60, ge=1)
    """Trailing window of graded games for the MAE, strictly before the game date."""

    # --- deadlines, breaker, delivery ----------------------------------------------------
    deadline_seconds: float = Field(default=600.0, gt=0.0)
    """How long the ensemble waits after the run was created when the event names no deadline."""

    breaker_failure_threshold: int = Field(default=3, ge=1)
    """Consecutive predictor failures that open a system's circuit breaker."""

    breaker_cooldown_seconds: float = Field(default=60.0, gt=0.0)
    """How long an open breaker answers 'error' before letting one trial through."""

    max_delivery_attempts: int = Field(default=5, ge=1)
    """Deliveries of one message before it goes to the dead letters."""

    max_message_bytes: int = Field(default=262_144, ge=1024)
    """Largest accepted message payload (bytes)."""

    state_cas_attempts: int = Field(default=20, ge=1)
    """Compare-and-set retries on aggregation state before the delivery fails (transient)."""
