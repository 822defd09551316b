"""Feature values against a direct recomputation, and missing inputs kept NaN (never defaults)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from strikeouts.features import (
    V1_6_ROLLING,
    V1_BASELINE,
    History,
    TargetError,
    build_features,
    coverage_column,
)
from strikeouts.features.catalog import LEAGUE_WINDOW_STARTS, TEAM_PRIOR_BF

LINE_COLUMNS = ("open_line", "open_over", "open_under", "close_line")


def _start(day: str, pitcher: int, k: int, game: str, opponent: str = "NYY") -> dict[str, object]:
    return {
        "game_date": day,
        "season": int(day[:4]),
        "game_id": game,
        "pitcher_id": pitcher,
        "team": "BOS",
        "opponent": opponent,
        "is_home": True,
        "strikeouts": k,
        "outs": 18,
        "batters_faced": 24,
        "walks": 2,
        "hits": 5,
        "runs": 2,
        "pitches": None,
        "tto_max": None,
        "umpire_home": "umpa001",
        "park_id": "BOS07",
    }


@pytest.fixture
def tiny() -> History:
    starts = pd.DataFrame(
        [
            _start("2024-04-01", 1, 4, "BOS202404010"),
            _start("2024-04-06", 1, 8, "BOS202404060"),
            _start("2024-04-11", 1, 12, "BOS202404110"),
        ]
    )
    openers = pd.DataFrame({"season": [2024], "first_game": ["2024-03-28"]})
    lines = pd.DataFrame(columns=["game_date", "game_id", "pitcher_id", *LINE_COLUMNS])
    return History.from_frames(starts, openers, lines)


def _targets(day: str, pitchers: list[int]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "game_date": [day] * len(pitchers),
            "game_id": ["BOS202404110"] * len(pitchers),
            "pitcher_id": pitchers,
            "team": "BOS",
            "opponent": "NYY",
            "is_home": True,
        }
    )


def test_same_day_game_never_feeds_itself(tiny: History) -> None:
    row = build_features(tiny, _targets("2024-04-11", [1])).iloc[0]
    assert row["k_avg_last3"] == 6.0  # (4 + 8) / 2: the 12 of that day is not in
    assert row["k_last"] == 8.0
    assert row["career_starts_before"] == 2.0
    assert row["days_rest"] == 5.0
    assert row["days_into_season"] == 14.0
    assert row["k_std_last10"] == pytest.approx(np.std([4, 8], ddof=1))
    assert row["league_k_rate"] == pytest.approx(12 / 48)


def test_first_career_start_has_nan_history_and_partial_coverage(tiny: History) -> None:
    out = build_features(tiny, _targets("2024-04-11", [2]))
    row = out.iloc[0]
    for name in ("k_avg_last3", "k_std_last10", "days_rest", "k_rate_last10", "season_k9"):
        assert np.isnan(row[name]), name
    assert row["career_starts_before"] == 0.0  # a true count: no start in the data
    assert row["is_first_start_of_season"] == 1.0
    for fs in (V1_BASELINE, V1_6_ROLLING):
        share = float(out[list(fs.names)].notna().mean(axis=1).iloc[0])
        assert row[coverage_column(fs.name)] == pytest.approx(share)
        assert row[coverage_column(fs.name)] < 1.0


def test_no_line_gives_nan_line_features(tiny: History) -> None:
    row = build_features(tiny, _targets("2024-04-11", [1])).iloc[0]
    for name in ("line", "k_avg_last5_minus_line", "implied_over_prob", "over_rate_last10_lines"):
        assert np.isnan(row[name]), name


def test_line_features_from_the_opening_line(tiny: History) -> None:
    targets = _targets("2024-04-11", [1]).assign(open_line=5.5, open_over=-120, open_under=100)
    row = build_features(tiny, targets).iloc[0]
    assert row["line"] == 5.5
    assert row["k_avg_last5_minus_line"] == pytest.approx(6.0 - 5.5)
    assert row["implied_over_prob"] == pytest.approx((120 / 220) / (120 / 220 + 0.5))


def test_missing_target_column_named(tiny: History) -> None:
    with pytest.raises(TargetError, match="opponent"):
        build_features(tiny, _targets("2024-04-11", [1]).drop(columns="opponent"))


def test_null_target_value_named(tiny: History) -> None:
    targets = _targets("2024-04-11", [1, 2])
    targets.loc[1, "team"] = None
    with pytest.raises(TargetError, match=r"targets.team is NULL at row 1"):
        build_features(tiny, targets)


def _reference(starts: pd.DataFrame, target: pd.Series) -> dict[str, float]:
    """A few features recomputed directly from the starts before the target's date."""
    day = target["game_date"]
    before = starts.loc[starts["game_date"] < day].sort_values(["game_date", "game_id"])
    mine = before.loc[before["pitcher_id"] == target["pitcher_id"]]
    season = mine.loc[mine["season"] == day.year]
    recent = mine.loc[mine["game_date"] >= day - pd.Timedelta(days=30)]
    league = before.tail(LEAGUE_WINDOW_STARTS)
    lg = league["strikeouts"].sum() / league["batters_faced"].sum()
    opp = before.loc[before["opponent"] == target["opponent"]].tail(15)
    opp_rate = (opp["strikeouts"].sum() + TEAM_PRIOR_BF * lg) / (
        opp["batters_faced"].sum() + TEAM_PRIOR_BF
    )
    pitches = recent["pitches"]
    return {
        "k_avg_last5": mine["strikeouts"].tail(5).mean() if len(mine) else np.nan,
        "season_starts_before": float(len(season)),
        "season_k_total": float(season["strikeouts"].sum()),
        "days_rest": float((day - mine["game_date"].max()).days) if len(mine) else np.nan,
        "starts_last30d": float(len(recent)),
        "pitches_last30d": float(pitches.sum()) if pitches.notna().all() else np.nan,
        "opp_k_rate_last15": opp_rate if len(opp) else np.nan,
        "vs_opp_starts": float((mine["opponent"] == target["opponent"]).sum()),
        "league_k_rate": lg,
    }


@pytest.mark.data
def test_values_match_direct_recomputation(history: History, backtest: pd.DataFrame) -> None:
    sample = backtest.sample(40, random_state=7)
    for _, row in sample.iterrows():
        expected = _reference(history.starts, row)
        for name, value in expected.items():
            assert row[name] == pytest.approx(value, nan_ok=True), (name, row["game_id"])


@pytest.mark.data
def test_first_starts_in_real_data_have_nan_recent_form(backtest: pd.DataFrame) -> None:
    first = backtest.loc[backtest["career_starts_before"] == 0]
    assert len(first) > 50
    assert first["k_avg_last3"].isna().all()
    assert (first[coverage_column("v1_baseline")] < 1).all()


@pytest.mark.data
def test_umpire_unknown_in_2026_stays_nan(backtest: pd.DataFrame) -> None:
    season = backtest.loc[backtest["game_date"].dt.year == 2026]
    assert season["umpire_k_factor"].isna().all()
    assert season["opp_k_rate_last15"].notna().mean() > 0.99  # from starts, not team_games


def test_day_gap_is_respected_for_a_history_cut(tiny: History) -> None:
    cut = tiny.cut(dt.date(2024, 4, 6))
    assert cut.starts["game_date"].max() == pd.Timestamp("2024-04-01")
