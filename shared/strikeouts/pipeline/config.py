"""Every pipeline threshold in one place: recommendation, confidence, red flags, ensemble, delivery.

Nothing else in the pipeline holds a tuning number; handlers receive a :class:`PipelineConfig`.
Each field can be overridden with a ``STRIKEOUTS_PIPELINE_*`` environment variable.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

FlagAction = Literal["skip", "multiplier"]
Comparison = Literal["lt", "le", "gt", "ge", "eq"]


class RedFlagRule(BaseModel):
    """One red flag: raised when ``feature <comparison> threshold`` on the snapshot."""

    feature: str
    """Feature of the pitcher-game snapshot the rule reads; a missing value never raises it."""

    comparison: Comparison
    threshold: float

    action: FlagAction
    """``skip``: the row gets status 'skip' with the flag as reason; ``multiplier``: confidence × m."""

    multiplier: float = Field(default=1.0, ge=0.0, le=1.0)
    """Confidence factor when ``action`` is ``multiplier``."""

    description: str = ""


def _default_flags() -> dict[str, RedFlagRule]:
    return {
        "first_start_of_season": RedFlagRule(
            feature="season_starts_before",
            comparison="eq",
            threshold=0,
            action="multiplier",
            multiplier=0.8,
            description="no start yet this season: rates lean on last season",
        ),
        "too_few_prior_starts": RedFlagRule(
            feature="career_starts_before",
            comparison="lt",
            threshold=3,
            action="skip",
            description="fewer than 3 career starts: too little history to predict",
        ),
        "short_recent_outings": RedFlagRule(
            feature="avg_outs_last3",
            comparison="lt",
            threshold=12,
            action="multiplier",
            multiplier=0.85,
            description="fewer than 4 innings a start over the last 3 starts",
        ),
        "high_k_variance": RedFlagRule(
            feature="k_std_last10",
            comparison="gt",
            threshold=3.0,
            action="multiplier",
            multiplier=0.85,
            description="strikeout standard deviation above 3 over the last 10 starts",
        ),
        "short_rest": RedFlagRule(
            feature="days_rest",
            comparison="lt",
            threshold=4,
            action="multiplier",
            multiplier=0.8,
            description="fewer than 4 days since the previous start",
        ),
        "heavy_recent_workload": RedFlagRule(
            feature="pitches_last30d",
            comparison="gt",
            threshold=550,
            action="multiplier",
            multiplier=0.9,
            description="more than 550 pitches in the last 30 days",
        ),
        "injured_list": RedFlagRule(
            feature="on_injured_list",
            comparison="ge",
            threshold=1,
            action="skip",
            description="on the injured list (only when that input is available)",
        ),
    }


class PipelineConfig(BaseSettings):
    """Thresholds and policies of the event pipeline."""

    model_config = SettingsConfigDict(env_prefix="STRIKEOUTS_PIPELINE_", extra="ignore")

    # --- recommendation -------------------------------------------------------------------
    edge_threshold: float = Field(default=0.5, ge=0.0)
    """|predicted − line| (in K) needed for OVER/UNDER; below it the recommendation is PASS."""

    # --- confidence (one 0-100 scale) -----------------------------------------------------
    confidence_weight_coverage: float = Field(default=0.4, ge=0.0)
    """Share of base confidence from feature coverage (share of real inputs)."""

    confidence_weight_history: float = Field(default=0.3, ge=0.0)
    """Share of base confidence from history depth (career starts before the game)."""

    confidence_weight_volatility: float = Field(default=0.3, ge=0.0)
    """Share of base confidence from low strikeout volatility (k_std_last10)."""

    history_feature: str = "career_starts_before"
    """Feature giving the pitcher's prior starts (history depth)."""

    history_full_starts: float = Field(default=30.0, gt=0.0)
    """Prior starts at which history depth counts in full."""

    volatility_feature: str = "k_std_last10"
    """Feature giving recent strikeout volatility."""

    volatility_cap: float = Field(default=4.0, gt=0.0)
    """K standard deviation at (and above) which the volatility component is 0."""

    red_flags: dict[str, RedFlagRule] = Field(default_factory=_default_flags)
    """Red-flag rules by flag name."""

    # --- ensemble -------------------------------------------------------------------------
    ensemble_system_id: str = "ensemble_v1"
    """System id of the ensemble rows."""

    expected_systems: list[str] = Field(default_factory=lambda: ["v1_baseline", "v1_6_rolling"])
    """Systems the ensemble waits for when the schedule event does not name them."""

    base_weights: dict[str, float] = Field(
        default_factory=lambda: {"v1_baseline": 0.3, "v1_6_rolling": 0.5}
    )
    """Base weights; renormalized over the systems actually present."""

    default_weight: float = Field(default=0.2, gt=0.0)
    """Base weight of a system with no entry in ``base_weights`` (a new system)."""

    agree_within: float = Field(default=1.0, ge=0.0)
    """Systems whose predictions span at most this many K agree: confidence × ``agree_factor``."""

    agree_factor: float = Field(default=1.1, gt=0.0)
    disagree_beyond: float = Field(default=2.0, ge=0.0)
    """Systems whose predictions span more than this many K disagree: × ``disagree_factor``."""

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

    @model_validator(mode="after")
    def _confidence_weights_sum_to_one(self) -> PipelineConfig:
        total = (
            self.confidence_weight_coverage
            + self.confidence_weight_history
            + self.confidence_weight_volatility
        )
        if abs(total - 1.0) > 1e-9:
            raise ValueError(f"confidence weights must sum to 1, got {total}")
        return self
