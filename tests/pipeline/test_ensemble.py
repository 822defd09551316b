"""ensemble_v1 arithmetic, adaptive weights, and regressions for the replaced system's defects."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from strikeouts.countlaw import mixture_median, mixture_p_over
from strikeouts.names import GAME_SCHEDULE
from strikeouts.pipeline.bus import FaultPlan
from strikeouts.pipeline.clock import FakeClock
from strikeouts.pipeline.config import PipelineConfig
from strikeouts.pipeline.ensemble import adaptive_weights, combine
from strikeouts.pipeline.ports import SystemResult
from strikeouts.pipeline.recommendation import recommend
from strikeouts.warehouse.duckdb_backend import DuckDBWarehouse

from .conftest import PipelineFactory
from .doubles import schedule_event, two_system_config, two_systems

CONFIG = two_system_config()
EXPECTED = ["v1_baseline", "v1_6_rolling"]


def ok(predicted: float, p_over: float | None = None, confidence: float = 60.0) -> dict[str, Any]:
    return {
        "status": "ok",
        "predicted_strikeouts": predicted,
        "p_over": p_over,
        "confidence": confidence,
        "feature_coverage": 1.0,
        "red_flags": [],
    }


def test_base_weights_renormalized_over_present_systems() -> None:
    both = combine({"v1_baseline": ok(6.0), "v1_6_rolling": ok(7.0)}, EXPECTED, 5.5, CONFIG)
    assert both.predicted_strikeouts == pytest.approx(6.625)
    assert both.weights == pytest.approx({"v1_baseline": 0.375, "v1_6_rolling": 0.625})
    alone = combine({"v1_6_rolling": ok(7.0)}, EXPECTED, 5.5, CONFIG)
    assert alone.predicted_strikeouts == pytest.approx(7.0)
    assert alone.status == "fallback"
    assert alone.missing == ("v1_baseline",)


@given(
    value=st.floats(min_value=0.0, max_value=15.0),
    present=st.sets(st.sampled_from(EXPECTED), min_size=1),
)
def test_no_low_bias_when_systems_agree(value: float, present: set[str]) -> None:
    """Regression: weights summing to 0.8 shrank every prediction by 20%."""
    outcome = combine({s: ok(value) for s in present}, EXPECTED, None, CONFIG)
    assert outcome.predicted_strikeouts == pytest.approx(value)


def test_p_over_uses_the_same_weights_over_systems_that_have_one() -> None:
    both = combine(
        {"v1_baseline": ok(6.0, 0.40), "v1_6_rolling": ok(7.0, 0.80)}, EXPECTED, 5.5, CONFIG
    )
    assert both.p_over == pytest.approx(0.375 * 0.40 + 0.625 * 0.80)
    one = combine({"v1_baseline": ok(6.0), "v1_6_rolling": ok(7.0, 0.80)}, EXPECTED, 5.5, CONFIG)
    assert one.p_over == pytest.approx(0.80)
    assert one.predicted_strikeouts == pytest.approx(6.625)


def test_probability_never_becomes_a_count() -> None:
    """Regression: a classifier probability was used as a strikeout count."""
    outcome = combine(
        {"v1_baseline": ok(6.0, 0.9), "v1_6_rolling": ok(7.0, 0.1)}, EXPECTED, 5.5, CONFIG
    )
    assert outcome.predicted_strikeouts == pytest.approx(6.625)
    with pytest.raises(ValueError, match=r"p_over=6\.5 is not a probability"):
        SystemResult(predicted_strikeouts=6.5, p_over=6.5)


@pytest.mark.parametrize(
    ("baseline", "rolling", "agreement", "factor"),
    [
        # the seed's strict boundaries: strong below 1.0 K, moderate below 2.0 K
        (6.0, 6.9, "strong", 1.1),
        (6.0, 7.0, "moderate", 1.0),
        (6.0, 7.9, "moderate", 1.0),
        (6.0, 8.0, "disagree", 0.85),
        (6.0, 8.5, "disagree", 0.85),
    ],
)
def test_agreement_scales_the_conviction_of_the_combined_probability(
    baseline: float, rolling: float, agreement: str, factor: float
) -> None:
    results = {"v1_baseline": ok(baseline, 0.60), "v1_6_rolling": ok(rolling, 0.76)}
    outcome = combine(results, EXPECTED, 5.5, CONFIG)
    p_over = 0.375 * 0.60 + 0.625 * 0.76  # 0.70: the favoured side is OVER at 70%
    assert outcome.base_confidence == pytest.approx(100 * p_over)
    assert (outcome.agreement, outcome.multiplier) == (agreement, pytest.approx(factor))
    assert outcome.confidence == pytest.approx(50 + (100 * p_over - 50) * factor)
    assert outcome.components["v1_6_rolling"]["predicted_strikeouts"] == rolling
    assert f"spread {rolling - baseline:.2f} K" in str(outcome.agreement_note)


def test_confidence_stays_on_one_scale() -> None:
    """Regression: confidences on 0-1 and 0-100 scales were mixed."""
    outcome = combine(
        {"v1_baseline": ok(6.0, 0.99), "v1_6_rolling": ok(6.2, 0.99)}, EXPECTED, 5.5, CONFIG
    )
    assert outcome.confidence == 100.0  # 50 + 49 × 1.1 clipped, not 103.9
    with pytest.raises(ValueError, match="0-100 scale"):
        SystemResult(predicted_strikeouts=6.0, confidence=140.0)


def test_one_system_alone_has_its_conviction_cut_and_says_who_was_left_out() -> None:
    outcome = combine(
        {"v1_6_rolling": ok(7.0, 0.70), "v1_baseline": {"status": "error", "reason": "boom"}},
        EXPECTED,
        5.5,
        CONFIG,
    )
    assert outcome.agreement == "single"
    assert outcome.confidence == pytest.approx(50 + 20 * CONFIG.single_system_factor)
    assert (
        outcome.agreement_note == "only v1_6_rolling answered; left out: v1_baseline: error (boom)"
    )


def test_the_red_flags_of_the_favoured_side_apply_once() -> None:
    short_rest = {**ok(7.0, 0.70), "red_flags": ["short_rest"]}  # OVER × 0.7, UNDER × 1
    over = combine({"v1_baseline": short_rest, "v1_6_rolling": short_rest}, EXPECTED, 5.5, CONFIG)
    assert over.multiplier == pytest.approx(1.1 * 0.7)
    under_side = {**ok(4.0, 0.30), "red_flags": ["short_rest"]}
    under = combine({"v1_baseline": under_side, "v1_6_rolling": under_side}, EXPECTED, 5.5, CONFIG)
    assert under.multiplier == pytest.approx(1.1)


def test_without_a_line_there_is_no_confidence_and_a_weak_call_is_pass() -> None:
    no_line = combine({"v1_baseline": ok(6.0), "v1_6_rolling": ok(6.5)}, EXPECTED, None, CONFIG)
    assert (no_line.confidence, no_line.call.recommendation) == (None, "NO_LINE")
    weak = combine(
        {"v1_baseline": ok(6.2, 0.53), "v1_6_rolling": ok(6.4, 0.55)}, EXPECTED, 5.5, CONFIG
    )
    assert weak.call.edge is not None and weak.call.edge >= CONFIG.edge_threshold
    assert weak.confidence is not None and weak.confidence < CONFIG.min_confidence
    assert weak.call.recommendation == "PASS"


def test_recommendation_is_recomputed_from_the_combined_values() -> None:
    outcome = combine(
        {"v1_baseline": ok(4.0, 0.30), "v1_6_rolling": ok(5.0, 0.45)}, EXPECTED, 5.5, CONFIG
    )
    assert outcome.call.recommendation == "UNDER"
    assert outcome.call.edge == pytest.approx(4.625 - 5.5)
    no_line = combine({"v1_baseline": ok(4.0)}, EXPECTED, None, CONFIG)
    assert no_line.call.recommendation == "NO_LINE"


@pytest.mark.parametrize(
    ("predicted", "p_over", "line", "expected"),
    [
        (6.2, 0.60, 5.5, "OVER"),
        (6.2, 0.45, 5.5, "PASS"),  # edge says over, probability disagrees
        (4.8, 0.40, 5.5, "UNDER"),
        (4.8, 0.55, 5.5, "PASS"),
        (5.8, 0.60, 5.5, "PASS"),  # below the edge threshold
        (6.0, 0.50, 6.0, "PASS"),  # a push line with no edge is not a loss either way
        (6.0, None, None, "NO_LINE"),
    ],
)
def test_recommendation_rules(
    predicted: float, p_over: float | None, line: float | None, expected: str
) -> None:
    assert recommend(predicted, p_over, line, CONFIG.edge_threshold).recommendation == expected


def test_zero_systems_and_all_errors_fall_back_with_null_prediction() -> None:
    none = combine({}, EXPECTED, 5.5, CONFIG)
    assert (none.status, none.predicted_strikeouts, none.fallback_reason) == (
        "fallback",
        None,
        "no system reported",
    )
    errors = combine(
        {"v1_baseline": {"status": "error", "reason": "boom", "predicted_strikeouts": None}},
        EXPECTED,
        5.5,
        CONFIG,
    )
    assert errors.status == "fallback"
    assert errors.predicted_strikeouts is None
    assert "v1_baseline: error (boom)" in str(errors.fallback_reason)
    assert "v1_6_rolling: no result" in str(errors.fallback_reason)


def test_adaptive_weights_blend_inverse_trailing_mae() -> None:
    base = {"v1_baseline": 0.3, "v1_6_rolling": 0.5}
    trailing = {"v1_baseline": (1.0, 200), "v1_6_rolling": (3.0, 200)}
    weights = adaptive_weights(base, trailing, blend=0.5, min_samples=50)
    assert weights["v1_baseline"] == pytest.approx(0.5 * 0.375 + 0.5 * 0.75)
    assert weights["v1_6_rolling"] == pytest.approx(0.5 * 0.625 + 0.5 * 0.25)
    # Not enough graded history for one system: base weights only.
    thin = {"v1_baseline": (1.0, 200), "v1_6_rolling": (3.0, 10)}
    assert adaptive_weights(base, thin, blend=0.5, min_samples=50) == base
    assert adaptive_weights(base, trailing, blend=0.0, min_samples=50) == base


class FixedAccuracy:
    def __init__(self) -> None:
        self.asked: list[date] = []

    def trailing_mae(
        self, system_ids: Sequence[str], as_of: date, window_days: int
    ) -> Mapping[str, tuple[float, int]]:
        self.asked.append(as_of)
        return {"v1_baseline": (1.0, 500), "v1_6_rolling": (3.0, 500)}


@pytest.mark.parametrize("enabled", [False, True])
def test_adaptive_weights_are_off_by_default_and_used_when_enabled(
    make_pipeline: PipelineFactory, warehouse: DuckDBWarehouse, clock: FakeClock, enabled: bool
) -> None:
    accuracy = FixedAccuracy()
    cfg = two_system_config(adaptive_weights=enabled)
    pipe = make_pipeline(two_systems(6.0, 7.0), cfg=cfg, accuracy=accuracy, faults=FaultPlan())
    pipe.bus.publish(GAME_SCHEDULE, schedule_event(clock))
    pipe.bus.run()
    ens = warehouse.query(
        "SELECT predicted_strikeouts FROM pitcher_strikeout_predictions WHERE system_id = 'ensemble_v1'"
    )
    w_base = 0.5 * 0.375 + 0.5 * 0.75
    expected = 6.625 if not enabled else w_base * 6.0 + (1 - w_base) * 7.0
    assert ens["predicted_strikeouts"].tolist() == pytest.approx([expected, expected])
    assert accuracy.asked == ([date(2024, 6, 1)] * 2 if enabled else [])


def test_with_their_laws_the_ensemble_reads_median_and_p_over_from_the_mixture() -> None:
    def law(mean: float, alpha: float) -> dict[str, Any]:
        return {**ok(mean, 0.5), "count_dispersion": alpha}

    results = {"v1_baseline": law(3.0, 0.0), "v1_6_rolling": law(9.0, 0.05)}
    out = combine(results, EXPECTED, 6.5, CONFIG)
    w = out.weights
    laws = [(w["v1_baseline"], 3.0, 0.0), (w["v1_6_rolling"], 9.0, 0.05)]
    assert out.predicted_strikeouts == pytest.approx(w["v1_baseline"] * 3 + w["v1_6_rolling"] * 9)
    assert out.p_over == pytest.approx(mixture_p_over(laws, 6.5))
    assert out.p_over != pytest.approx(0.5)  # not the average of the members' numbers
    assert out.predicted_median == mixture_median(laws)
    assert out.components["v1_baseline"]["predicted_median"] is None
    # a member without its law (an older message): weighted p_over, no median
    older = combine({**results, "v1_baseline": ok(3.0, 0.2)}, EXPECTED, 6.5, CONFIG)
    assert older.predicted_median is None
    assert older.p_over == pytest.approx(w["v1_baseline"] * 0.2 + w["v1_6_rolling"] * 0.5)


def test_the_pick_publishes_its_own_law_and_the_weights_serve_without_it() -> None:
    config = PipelineConfig(pick_system="v2_market")
    results = {
        "v1_baseline": {**ok(3.0, 0.2), "count_dispersion": 0.0},
        "v1_6_rolling": {**ok(9.0, 0.9), "count_dispersion": 0.0},
        "v2_market": {**ok(6.2, 0.55), "count_dispersion": 0.0, "predicted_median": 6.0},
    }
    picked = combine(results, [*EXPECTED, "v2_market"], 5.5, config)
    assert picked.weights == {"v1_6_rolling": 0.0, "v1_baseline": 0.0, "v2_market": 1.0}
    assert picked.predicted_strikeouts == pytest.approx(6.2)
    assert picked.p_over == pytest.approx(mixture_p_over([(1.0, 6.2, 0.0)], 5.5))
    assert picked.predicted_median == 6.0
    without = combine(
        {s: r for s, r in results.items() if s != "v2_market"},
        [*EXPECTED, "v2_market"],
        5.5,
        config,
    )
    assert without.status == "fallback" and without.predicted_strikeouts == pytest.approx(6.75)
