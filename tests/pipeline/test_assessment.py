"""Red flags (hard skips, side multipliers) and the one 0-100 confidence scale: the chance the
favoured side wins, shrunk by coverage and the flags, through the system handler too."""

from __future__ import annotations

from typing import Any

import pytest

from strikeouts.pipeline.assessment import assess, base_confidence, favoured_side, scaled
from strikeouts.pipeline.config import PipelineConfig
from strikeouts.pipeline.handlers import SystemHandler
from strikeouts.pipeline.recommendation import recommend

from .doubles import STEADY, Recorder, StubPredictor

CONFIG = PipelineConfig()


@pytest.mark.parametrize(
    ("changes", "flag", "over", "under"),
    [
        ({"season_starts_before": 1.0}, "few_season_starts", 0.7, 0.7),
        ({"k_std_last10": 3.5}, "high_k_variance", 0.4, 1.1),
        ({"days_rest": 3.0}, "short_rest", 0.7, 1.0),
        ({"starts_last30d": 7.0}, "heavy_recent_workload", 0.85, 1.0),
    ],
)
def test_soft_flags_scale_each_side_their_own_way(
    changes: dict[str, float], flag: str, over: float, under: float
) -> None:
    result = assess({**STEADY, **changes}, CONFIG)
    assert result.red_flags == (flag,)
    assert result.skip_reason is None
    assert (result.multiplier("OVER"), result.multiplier("UNDER")) == pytest.approx((over, under))
    # the same value one step on the other side of the threshold raises nothing
    assert assess(STEADY, CONFIG).red_flags == ()


@pytest.mark.parametrize(
    ("changes", "flag"),
    [
        ({"on_injured_list": 1.0}, "injured_list"),
        ({"season_starts_before": 0.0, "career_starts_before": 4.0}, "first_start_no_history"),
        ({"ip_avg_last5": 3.9}, "opener"),
        ({"career_starts_before": 1.0, "season_starts_before": 1.0}, "too_few_prior_starts"),
    ],
)
def test_hard_skips(changes: dict[str, float], flag: str) -> None:
    result = assess({**STEADY, **changes}, CONFIG)
    assert flag in result.red_flags
    assert result.skip_reason is not None and flag in result.skip_reason


def test_a_first_start_with_history_is_not_skipped_and_missing_inputs_raise_nothing() -> None:
    veteran = assess({**STEADY, "season_starts_before": 0.0, "career_starts_before": 60.0}, CONFIG)
    assert veteran.skip_reason is None and veteran.red_flags == ("few_season_starts",)
    assert assess({**STEADY, "on_injured_list": 0.0}, CONFIG).red_flags == ()
    assert assess(dict.fromkeys(STEADY), CONFIG).red_flags == ()
    assert assess({**STEADY, "ip_avg_last5": 4.0}, CONFIG).red_flags == ()  # not below 4
    # the seed's lookback is 5 starts: three short outings of 11 outs do not raise it alone
    assert assess({**STEADY, "avg_outs_last3": 11.0}, CONFIG).red_flags == ()


def test_a_skip_reason_names_every_condition() -> None:
    result = assess({**STEADY, "season_starts_before": 0.0, "career_starts_before": 3.0}, CONFIG)
    assert "first_start_no_history (season_starts_before=0, career_starts_before=3)" in str(
        result.skip_reason
    )


def test_confidence_is_the_favoured_sides_chance_shrunk_toward_a_coin_flip() -> None:
    assert base_confidence(0.62, 1.0) == pytest.approx(62.0)
    assert base_confidence(0.38, 1.0) == pytest.approx(62.0)  # UNDER favoured, same conviction
    assert base_confidence(0.62, 0.5) == pytest.approx(56.0)
    assert base_confidence(None, 1.0) is None  # no line: no side to win
    assert (favoured_side(0.62), favoured_side(0.38)) == ("OVER", "UNDER")
    assert scaled(70.0, 0.5, CONFIG) == pytest.approx(60.0)
    assert scaled(70.0, 0.1, CONFIG) == pytest.approx(50 + 20 * CONFIG.multiplier_floor)
    assert scaled(99.0, 1.2, CONFIG) == 100.0


def test_below_the_minimum_confidence_a_call_is_pass() -> None:
    assert recommend(7.0, 0.62, 5.5, 0.5, 62.0, 60.0).recommendation == "OVER"
    call = recommend(7.0, 0.58, 5.5, 0.5, 58.0, 60.0)
    assert (call.recommendation, call.edge) == ("PASS", pytest.approx(1.5))
    assert recommend(7.0, None, None, 0.5, None, 60.0).recommendation == "NO_LINE"


def handler_out(pitcher_game: dict[str, Any], clock: object, p_over: float) -> dict[str, Any]:
    predictor = StubPredictor("v1_baseline", 6.5, p_over=p_over)
    handler = SystemHandler(predictor, Recorder(), CONFIG, clock)  # type: ignore[arg-type]
    out = handler(pitcher_game)
    assert out is not None
    return out


def test_the_handler_scales_the_favoured_side_and_records_the_parts(
    pitcher_game: dict[str, Any], clock: object
) -> None:
    pitcher_game["features"]["days_rest"] = 3.0  # short rest: OVER × 0.7, UNDER × 1
    coverage = pitcher_game["feature_coverage"]["v1_baseline"]
    over = handler_out(pitcher_game, clock, 0.70)
    base = 50 + 20 * coverage
    assert over["red_flags"] == ["short_rest"]
    assert over["base_confidence"] == pytest.approx(base)
    assert over["confidence_multiplier"] == pytest.approx(0.7)
    assert over["confidence"] == pytest.approx(50 + (base - 50) * 0.7)
    under = handler_out(pitcher_game, clock, 0.30)
    assert under["confidence"] == pytest.approx(base)  # short rest does not touch an UNDER


def test_a_skipped_row_claims_no_confidence(pitcher_game: dict[str, Any], clock: object) -> None:
    pitcher_game["features"]["career_starts_before"] = 1.0
    skipped = handler_out(pitcher_game, clock, 0.7)
    assert skipped["status"] == "skip"
    assert "too_few_prior_starts" in str(skipped["reason"])
    assert skipped["confidence"] is None and skipped["base_confidence"] is None
