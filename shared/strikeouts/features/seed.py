"""The replaced system's (the seed's) features, by its own names, and where each went here.

Invariants: :data:`SEED_V1` names exactly the 25 f-numbers the v1_baseline specs carry in
``FeatureSpec.seed``, each once. :data:`V1_6_MAPPING` accounts for each of the seed's 35 v1.6
features exactly once: ``present`` (one of ours computes the same quantity), ``substituted``
(ours stand in for it, and the reason says how they differ) or ``absent`` (and why); the
features it names plus :data:`V1_6_ADDED` are exactly the v1_6_rolling set, each once. The
tables of docs/MODELING.md ("The seed's features") are these, row for row (a test reads them).

The seed's names come from its model code (its v1_baseline predictor's 25-feature order and
its v1.6 training script's 35-feature list).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Status = Literal["present", "substituted", "absent"]

SEED_V1: dict[str, str] = {
    "f00": "k_avg_last_3",
    "f01": "k_avg_last_5",
    "f02": "k_avg_last_10",
    "f03": "k_std_last_10",
    "f04": "ip_avg_last_5",
    "f05": "season_k_per_9",
    "f06": "season_era",
    "f07": "season_whip",
    "f08": "season_games",
    "f09": "season_k_total",
    "f10": "is_home",
    "f15": "opponent_team_k_rate",
    "f16": "ballpark_k_factor",
    "f17": "month_of_season",
    "f18": "days_into_season",
    "f20": "days_rest",
    "f21": "games_last_30_days",
    "f22": "pitch_count_avg",
    "f23": "season_ip_total",
    "f24": "is_postseason",
    "f25": "bottom_up_k_expected",
    "f26": "lineup_k_vs_hand",
    "f27": "avg_k_vs_opponent",
    "f28": "games_vs_opponent",
    "f33": "lineup_weak_spots",
}
"""The seed's v1_baseline features: f-number → its name."""


@dataclass(frozen=True)
class SeedFeature:
    """One of the seed's v1.6 features and what v1_6_rolling has for it."""

    seed: str
    status: Status
    ours: tuple[str, ...]
    why: str


def _p(seed: str, ours: str, why: str = "the same quantity") -> SeedFeature:
    return SeedFeature(seed, "present", (ours,), why)


def _s(seed: str, ours: tuple[str, ...], why: str) -> SeedFeature:
    return SeedFeature(seed, "substituted", ours, why)


def _a(seed: str, why: str) -> SeedFeature:
    return SeedFeature(seed, "absent", (), why)


_NO_PITCHES = "no pitch-level data: our Statcast starts are per-start totals"
_NO_VELOCITY = "no pitch velocity in our data"
_NO_BP = "BettingPros' projection (a third party's model output) is not in our data"

V1_6_MAPPING: tuple[SeedFeature, ...] = (
    _p("f00_k_avg_last_3", "k_avg_last3"),
    _p("f01_k_avg_last_5", "k_avg_last5"),
    _p("f02_k_avg_last_10", "k_avg_last10"),
    _p("f03_k_std_last_10", "k_std_last10"),
    _s(
        "f04_ip_avg_last_5",
        ("avg_outs_last3", "bf_avg_last3", "bf_avg_last10"),
        "outing length in outs over 3 starts and in batters faced (the unit strikeouts come in)",
    ),
    _s("f05_season_k_per_9", ("k_rate_season",), "K per batter faced, shrunk, not per 9 innings"),
    _a("f06_season_era", "runs allowed say little about strikeouts; earned runs unknown 2025+"),
    _a("f07_season_whip", "not a strikeout input (v1_baseline keeps season_whip)"),
    _p("f08_season_games", "season_starts_before"),
    _a("f09_season_k_total", "starts × rate: season_starts_before and k_rate_season carry it"),
    _p("f10_is_home", "is_home"),
    _s(
        "f15_opponent_team_k_rate",
        ("opp_k_rate_last15", "opp_k_rate_season"),
        "the opponent's K rate against starters (last 15 games, season): team lines lack 2026",
    ),
    _p("f16_ballpark_k_factor", "park_k_factor", "keyed by home team (park ids NULL in 2026)"),
    _a("f17_month_of_season", "days_into_season holds the calendar position, finer"),
    _p("f18_days_into_season", "days_into_season"),
    _a("f19_season_swstr_pct", _NO_PITCHES),
    _a("f19b_season_csw_pct", _NO_PITCHES),
    _a("f19c_season_chase_pct", _NO_PITCHES),
    _p("f20_days_rest", "days_rest"),
    _s(
        "f21_games_last_30_days",
        ("bf_last30d", "pitches_last30d"),
        "30-day workload in batters and pitches rather than starts",
    ),
    _s("f22_pitch_count_avg", ("pitches_avg_last3",), "mean pitches over 3 starts, not 5"),
    _a("f23_season_ip_total", "season and 30-day workload carry it (v1_baseline keeps season_ip)"),
    _a("f24_is_postseason", "the warehouse holds regular-season games only (always 0)"),
    _p("f30_k_avg_vs_line", "k_avg_last5_minus_line"),
    _s(
        "f31_projected_vs_line",
        ("expected_k_minus_line",),
        "the matchup's expected K minus the line (the seed: K/9 × innings minus the line)",
    ),
    _p("f32_line_level", "line", "the opening line, the one known when the event fires"),
    _a("f40_bp_projection", _NO_BP),
    _a("f41_projection_diff", _NO_BP),
    _a("f42_perf_last_5_pct", "one window kept: 5 lined starts are a few decided bets"),
    _s(
        "f43_perf_last_10_pct",
        ("over_rate_last10_lines",),
        "over rate vs the closing line of the last 10 lined starts, from our own lines",
    ),
    _p("f44_over_implied_prob", "implied_over_prob", "de-vigged (the seed: the raw price)"),
    _s(
        "f50_swstr_pct_last_3",
        ("k_rate_last3",),
        "K per batter faced over 3 starts, the outcome swinging strikes lead to ("
        + _NO_PITCHES
        + ")",
    ),
    _a("f51_fb_velocity_last_3", _NO_VELOCITY),
    _a("f52_swstr_trend", _NO_PITCHES),
    _a("f53_velocity_change", _NO_VELOCITY),
)
"""The seed's 35 v1.6 features, in its order."""

V1_6_ADDED: dict[str, str] = {
    "k_rate_last5": "K per batter faced, shrunk (issue 3's rolling set)",
    "k_rate_last10": "K per batter faced, shrunk (issue 3's rolling set)",
    "k_last": "the previous start's strikeouts",
    "bf_trend": "a trend in batters faced (the seed's trends were pitch-level)",
    "pitches_trend": "a trend in pitch counts (the seed's trends were pitch-level)",
    "pitches_per_bf_last5": "pitch efficiency",
    "tto_avg_last5": "times through the order",
    "career_starts_before": "experience beyond this season",
    "umpire_k_factor": "the home-plate umpire's K context (issue 3)",
    "league_k_rate": "the point-in-time league rate the shrunk rates lean on",
    "expected_k_matchup": "the matchup's expected K (the seed's v1.6 dropped its bottom-up K)",
}
"""v1_6_rolling features with no seed v1.6 counterpart: name → what it adds."""
