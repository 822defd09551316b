"""Red flags (skip vs multiplier) and the one 0-100 confidence scale, through the system handler."""

from __future__ import annotations

import pytest

from strikeouts.pipeline.assessment import assess, base_confidence
from strikeouts.pipeline.config import PipelineConfig
from strikeouts.pipeline.handlers import SystemHandler

from .doubles import STEADY, Recorder, StubPredictor

CONFIG = PipelineConfig()


@pytest.mark.parametrize(
    ("feature", "value", "flag", "multiplier"),
    [
        ("season_starts_before", 0.0, "first_start_of_season", 0.8),
        ("avg_outs_last3", 9.0, "short_recent_outings", 0.85),
        ("k_std_last10", 3.5, "high_k_variance", 0.85),
        ("days_rest", 3.0, "short_rest", 0.8),
        ("pitches_last30d", 600.0, "heavy_recent_workload", 0.9),
    ],
)
def test_multiplier_flags(feature: str, value: float, flag: str, multiplier: float) -> None:
    result = assess({**STEADY, feature: value}, CONFIG)
    assert result.red_flags == (flag,)
    assert result.multiplier == pytest.approx(multiplier)
    assert result.skip_reason is None


def test_skip_flag_and_missing_inputs() -> None:
    result = assess({**STEADY, "career_starts_before": 2.0}, CONFIG)
    assert result.red_flags == ("too_few_prior_starts",)
    assert result.skip_reason == "red flag: too_few_prior_starts (career_starts_before=2)"
    assert assess({k: None for k in STEADY}, CONFIG).red_flags == ()


def test_base_confidence_components() -> None:
    full = base_confidence(
        {"career_starts_before": 30.0, "k_std_last10": 0.0}, coverage=1.0, config=CONFIG
    )
    assert full == pytest.approx(100.0)
    assert base_confidence({}, coverage=None, config=CONFIG) == 0.0
    steady = base_confidence(STEADY, coverage=0.9, config=CONFIG)
    assert steady == pytest.approx(100 * (0.4 * 0.9 + 0.3 * 1.0 + 0.3 * 0.5))


def test_handler_records_flags_and_skips(pitcher_game: dict[str, object], clock: object) -> None:
    keep = Recorder()
    handler = SystemHandler(StubPredictor("v1_baseline", 6.0, p_over=0.6), keep, CONFIG, clock)  # type: ignore[arg-type]
    features = pitcher_game["features"]
    assert isinstance(features, dict)
    features["days_rest"] = 3.0
    out = handler(pitcher_game)
    assert out is not None
    assert out["status"] == "ok"
    assert out["red_flags"] == ["short_rest"]
    assert out["confidence"] == pytest.approx(0.8 * base_confidence(features, 0.9, CONFIG))
    features["career_starts_before"] = 1.0
    skipped = handler(pitcher_game)
    assert skipped is not None
    assert skipped["status"] == "skip"
    assert "too_few_prior_starts" in str(skipped["reason"])
