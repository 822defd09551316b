"""Every feature, declared once: name, definition, window, source table, version.

Invariant: the builder computes exactly the names in :data:`SUPERSET`, and each feature set
(:data:`FEATURE_SETS`) is an ordered selection of those names, so a system selects its columns
from the superset by name and no list of features is written twice. All features are computed
as of the end of the day before the game, from strictly earlier games only; a missing input is
NaN, never a default.

Substitutions for inputs our data does not hold (per-batter lines, earned runs after 2024, park
ids in 2026) are stated in each feature's definition.
"""

from __future__ import annotations

from dataclasses import dataclass

# Shrinkage strengths (pseudo batters faced at the league rate) and trailing windows.
PITCHER_PRIOR_BF = 60.0
TEAM_PRIOR_BF = 150.0
PARK_PRIOR_BF = 2000.0
UMPIRE_PRIOR_BF = 1500.0
LEAGUE_WINDOW_STARTS = 4860  # about one regular season of starts
PARK_WINDOW_STARTS = 324  # about two seasons of home games, two starters a game
UMPIRE_WINDOW_STARTS = 120  # about 60 games behind the plate
OPPONENT_WINDOW_GAMES = 15
LINE_WINDOW_STARTS = 10
WORKLOAD_WINDOW_DAYS = 30


@dataclass(frozen=True)
class FeatureSpec:
    """One feature of the superset."""

    name: str
    definition: str
    window: str
    source: str
    version: int = 1
    seed: str | None = None
    """The replaced system's f-number (named in ``features/seed.py``) of the feature this
    v1_baseline feature is or substitutes (docs/MODELING.md, "The seed's features")."""


@dataclass(frozen=True)
class FeatureSet:
    """An ordered selection of superset features used by one system."""

    name: str
    version: str
    names: tuple[str, ...]


def _f(
    name: str, definition: str, window: str, source: str, seed: str | None = None
) -> FeatureSpec:
    return FeatureSpec(name, definition, window, source, 1, seed)


_S = "pitcher_starts"
_SG = "pitcher_starts+games"
_T = "target"
_L = "prop_lines"
_LS = "prop_lines+pitcher_starts"

SPECS: tuple[FeatureSpec, ...] = (
    # --- pitcher recent form (career in data: windows cross season boundaries) ---------------
    _f(
        "k_avg_last3", "mean strikeouts over the pitcher's prior starts", "last 3 starts", _S, "f00"
    ),
    _f(
        "k_avg_last5", "mean strikeouts over the pitcher's prior starts", "last 5 starts", _S, "f01"
    ),
    _f("k_avg_last10", "mean strikeouts over prior starts", "last 10 starts", _S, "f02"),
    _f("k_std_last10", "sample sd of strikeouts (>= 2 starts)", "last 10 starts", _S, "f03"),
    _f("ip_avg_last5", "mean innings (outs / 3) per start", "last 5 starts", _S, "f04"),
    _f("avg_outs_last3", "mean outs recorded per start (red flag)", "last 3 starts", _S),
    _f("k_last", "strikeouts in the previous start", "last start", _S),
    _f(
        "k_rate_last3",
        f"K / batters faced, shrunk toward the league: (K + m*lg) / (BF + m), m={PITCHER_PRIOR_BF:g}",
        "last 3 starts",
        _S,
    ),
    _f("k_rate_last5", "K / BF shrunk toward the league (as k_rate_last3)", "last 5 starts", _S),
    _f("k_rate_last10", "K / BF shrunk toward the league (as k_rate_last3)", "last 10 starts", _S),
    _f("bf_avg_last3", "mean batters faced per start", "last 3 starts", _S),
    _f("bf_avg_last5", "mean batters faced per start", "last 5 starts", _S),
    _f("bf_avg_last10", "mean batters faced per start", "last 10 starts", _S),
    _f("bf_trend", "bf_avg_last3 - bf_avg_last10", "last 3 vs 10 starts", _S),
    _f(
        "pitches_last",
        "pitches in the previous start; NaN before Statcast (2024). The seed's f22 was the mean "
        "over the last 5 starts: a different window, kept so v1_baseline/1 models stay valid",
        "last start",
        _S,
        "f22",
    ),
    _f("pitches_avg_last3", "mean pitches per start, known counts only", "last 3 starts", _S),
    _f("pitches_avg_last10", "mean pitches per start, known counts only", "last 10 starts", _S),
    _f("pitches_trend", "pitches_avg_last3 - pitches_avg_last10", "last 3 vs 10 starts", _S),
    _f("pitches_per_bf_last5", "pitches / batters faced, known counts only", "last 5 starts", _S),
    _f("tto_avg_last5", "mean times through the order (Statcast, 2024+)", "last 5 starts", _S),
    # --- workload and rest (red flags) ------------------------------------------------------
    _f("career_starts_before", "prior starts in the data (2021+)", "career in data", _S),
    _f(
        "days_rest", "days since the previous start; NaN for a first start", "last start", _S, "f20"
    ),
    _f(
        "starts_last30d",
        "starts in the 30 days before the game",
        f"{WORKLOAD_WINDOW_DAYS} days",
        _S,
        "f21",
    ),
    _f(
        "pitches_last30d",
        "pitches in the last 30 days; NaN when any start in the window has no count",
        f"{WORKLOAD_WINDOW_DAYS} days",
        _S,
    ),
    _f("bf_last30d", "batters faced in the last 30 days", f"{WORKLOAD_WINDOW_DAYS} days", _S),
    _f("pitches_last2", "pitches over the last 2 starts; NaN when unknown", "last 2 starts", _S),
    _f("bf_last2", "batters faced over the last 2 starts", "last 2 starts", _S),
    # --- season to date (resets each season; never full-season) ------------------------------
    _f("season_starts_before", "prior starts this season", "season to date", _S, "f08"),
    _f("is_first_start_of_season", "1 when season_starts_before is 0", "season to date", _S),
    _f("season_k_total", "strikeouts this season", "season to date", _S, "f09"),
    _f("season_k9", "27 * K / outs this season", "season to date", _S, "f05"),
    _f(
        "season_ra9",
        "27 * runs / outs this season: substitutes ERA, because earned runs are unknown in the "
        "Statcast-only seasons (2025+)",
        "season to date",
        _S,
        "f06",
    ),
    _f("season_whip", "3 * (walks + hits) / outs this season", "season to date", _S, "f07"),
    _f("season_ip", "outs / 3 this season", "season to date", _S, "f23"),
    _f("k_rate_season", "K / BF this season, shrunk toward the league", "season to date", _S),
    # --- opponent, matchup, park, umpire, league (point-in-time) -----------------------------
    _f(
        "opp_k_rate_last15",
        "opponent batting K / BF against starting pitchers, shrunk toward the league "
        f"(m={TEAM_PRIOR_BF:g}); substitutes the lineup K rate and team K rate: starts exist for "
        "every season, team_games do not for 2026",
        f"opponent's last {OPPONENT_WINDOW_GAMES} games",
        _S,
        "f15",
    ),
    _f(
        "opp_k_rate_season",
        "opponent batting K / BF against starters this season, shrunk toward the league; "
        "substitutes the seed's lineup K rate against the pitcher's hand (no per-batter lines "
        "in our data)",
        "season to date",
        _S,
        "f26",
    ),
    _f(
        "expected_k_matchup",
        "bf_avg_last5 * log5(k_rate_last10, opp_k_rate_last15, league_k_rate): substitutes the "
        "lineup-based expected K (no per-batter lines in our data)",
        "last 10 starts / opponent's last 15 games",
        _S,
        "f25",
    ),
    _f("vs_opp_starts", "prior starts against this opponent", "career in data", _S, "f28"),
    _f("vs_opp_k_avg", "mean strikeouts against this opponent", "career in data", _S, "f27"),
    _f(
        "vs_opp_k_rate",
        "K / BF against this opponent, shrunk toward the league; substitutes the seed's count "
        "of high-strikeout batters in the lineup (no per-batter lines in our data)",
        "career in data",
        _S,
        "f33",
    ),
    _f(
        "park_k_factor",
        f"starters' K / BF at this park (shrunk, m={PARK_PRIOR_BF:g}) / league_k_rate; park keyed "
        "by home team (games.park_id is NULL in 2026)",
        f"park's last {PARK_WINDOW_STARTS} starts",
        _S,
        "f16",
    ),
    _f(
        "umpire_k_factor",
        f"starters' K / BF with this home-plate umpire (shrunk, m={UMPIRE_PRIOR_BF:g}) / "
        "league_k_rate; NaN when the umpire is unknown (2026)",
        f"umpire's last {UMPIRE_WINDOW_STARTS} starts",
        _SG,
    ),
    _f(
        "league_k_rate",
        "league starters' K / BF",
        f"last {LEAGUE_WINDOW_STARTS} starts",
        _S,
    ),
    # --- the game itself (known before it) ----------------------------------------------------
    _f("is_home", "1 when the pitcher's team is at home", "game", _T, "f10"),
    _f("month", "calendar month of the game", "game", _T, "f17"),
    _f(
        "days_into_season",
        "days since the season's first game (min of that season's earlier games and this date)",
        "season to date",
        "games",
        "f18",
    ),
    _f(
        "is_postseason",
        "1 for a postseason game (target game_type); the warehouse holds regular season only",
        "game",
        _T,
        "f24",
    ),
    # --- line-relative (NaN without a line; the opening line in backtests) --------------------
    _f("line", "the strikeout line known when the schedule event fires (opening)", "game", _L),
    _f("k_avg_last5_minus_line", "k_avg_last5 - line", "last 5 starts", _L),
    _f("expected_k_minus_line", "expected_k_matchup - line", "game", _L),
    _f(
        "implied_over_prob",
        "de-vigged probability of the over from the opening over/under prices",
        "game",
        _L,
    ),
    _f(
        "market_mean",
        "mean of the Poisson count law whose P(over the opening line) equals the de-vigged "
        "opening over price (the market's expected strikeouts)",
        "game",
        _L,
    ),
    _f(
        "over_rate_last10_lines",
        "share of the pitcher's prior lined starts that went over their closing line (pushes "
        "excluded)",
        f"last {LINE_WINDOW_STARTS} lined starts",
        _LS,
    ),
)

SUPERSET: tuple[str, ...] = tuple(s.name for s in SPECS)
SPEC_BY_NAME: dict[str, FeatureSpec] = {s.name: s for s in SPECS}

# The trained models' column order (column subsampling depends on it), fixed when v1_baseline/1
# was first trained; it is not the seed's numbering (each spec's ``seed``).
V1_BASELINE = FeatureSet(
    name="v1_baseline",
    version="v1_baseline/1",
    names=(
        *("k_avg_last3", "k_avg_last5", "k_avg_last10", "k_std_last10", "ip_avg_last5"),
        *("season_k9", "season_ra9", "season_whip", "season_starts_before", "season_k_total"),
        *("is_home", "opp_k_rate_last15", "park_k_factor", "month", "days_into_season"),
        *("days_rest", "starts_last30d", "pitches_last", "season_ip", "is_postseason"),
        *("vs_opp_starts", "vs_opp_k_avg", "vs_opp_k_rate", "opp_k_rate_season"),
        "expected_k_matchup",
    ),
)

V1_6_ROLLING = FeatureSet(
    name="v1_6_rolling",
    version="v1_6_rolling/1",
    names=(
        "k_rate_last3",
        "k_rate_last5",
        "k_rate_last10",
        "k_rate_season",
        "k_avg_last3",
        "k_avg_last5",
        "k_avg_last10",
        "k_std_last10",
        "k_last",
        "bf_avg_last3",
        "bf_avg_last10",
        "bf_trend",
        "pitches_avg_last3",
        "pitches_trend",
        "pitches_per_bf_last5",
        "tto_avg_last5",
        "avg_outs_last3",
        "days_rest",
        "pitches_last30d",
        "bf_last30d",
        "season_starts_before",
        "career_starts_before",
        "opp_k_rate_last15",
        "opp_k_rate_season",
        "umpire_k_factor",
        "park_k_factor",
        "league_k_rate",
        "is_home",
        "expected_k_matchup",
        "line",
        "k_avg_last5_minus_line",
        "expected_k_minus_line",
        "implied_over_prob",
        "over_rate_last10_lines",
        "days_into_season",
    ),
)

# Chosen walk-forward against the market alone (docs/MODELING.md): the anchor, then the
# pitcher's recent form, workload and the matchup; park, umpire, season rates, home and
# over-rate added nothing measurable on top of the market.
V2_MARKET = FeatureSet(
    name="v2_market",
    version="v2_market/1",
    names=(
        "market_mean",
        "k_rate_last10",
        "bf_avg_last5",
        "opp_k_rate_last15",
        "expected_k_matchup",
        "k_avg_last5",
        "pitches_avg_last3",
        "days_rest",
    ),
)

FEATURE_SETS: dict[str, FeatureSet] = {s.name: s for s in (V1_BASELINE, V1_6_ROLLING, V2_MARKET)}


def feature_set(name: str) -> FeatureSet:
    """The feature set called ``name``; an unknown name raises ``KeyError`` listing the known."""
    try:
        return FEATURE_SETS[name]
    except KeyError:
        raise KeyError(f"unknown feature set {name!r}; known: {sorted(FEATURE_SETS)}") from None


def coverage_column(set_name: str) -> str:
    """The builder's output column holding the share of real inputs of a feature set."""
    return f"coverage_{set_name}"
