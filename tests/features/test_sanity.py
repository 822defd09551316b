"""Honest checks on real data: recent form predicts strikeouts, nothing predicts them too well."""

from __future__ import annotations

import pandas as pd
import pytest

from strikeouts.features import SUPERSET

pytestmark = pytest.mark.data


def test_recent_strikeouts_correlate_with_actual(backtest: pd.DataFrame) -> None:
    corr = backtest["k_avg_last10"].corr(backtest["actual_k"])
    print(f"corr(k_avg_last10, K) = {corr:.3f}")
    assert corr > 0.3


def test_no_feature_suspiciously_predicts_the_same_game(backtest: pd.DataFrame) -> None:
    corrs = backtest[list(SUPERSET)].corrwith(backtest["actual_k"]).abs().dropna()
    print(corrs.sort_values().tail(5).to_string())
    assert corrs.max() < 0.6, corrs.idxmax()


def test_backtest_covers_every_start(backtest: pd.DataFrame) -> None:
    assert backtest["actual_k"].notna().all()
    assert not backtest.duplicated(["game_id", "pitcher_id"]).any()
    by_year = backtest.groupby(backtest["game_date"].dt.year).size()
    assert (by_year.loc[2022:2025] > 4800).all()
