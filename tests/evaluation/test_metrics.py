"""Accuracy, probability and betting metrics on small hand-computed cases."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from strikeouts.evaluation.metrics import (
    bet_results,
    bias,
    brier,
    log_loss,
    mae,
    over_outcome,
    rmse,
    summarize,
)


def test_point_errors() -> None:
    predicted, actual = [1.0, 2.0, 3.0], [2.0, 2.0, 5.0]
    assert mae(predicted, actual) == pytest.approx(1.0)
    assert rmse(predicted, actual) == pytest.approx(math.sqrt(5 / 3))
    assert bias(predicted, actual) == pytest.approx(-1.0)


def test_missing_pairs_are_left_out() -> None:
    assert mae([1.0, np.nan, 4.0], [2.0, 5.0, np.nan]) == pytest.approx(1.0)
    assert math.isnan(mae([np.nan], [1.0]))
    with pytest.raises(ValueError, match="shape"):
        mae([1.0, 2.0], [1.0])


def test_over_outcome_marks_pushes_and_missing_as_nan() -> None:
    outcome = over_outcome([7, 5, 6, np.nan, 4], [5.5, 5.5, 6, 5, np.nan])
    np.testing.assert_array_equal(outcome, [1.0, 0.0, np.nan, np.nan, np.nan])


def test_brier() -> None:
    assert brier([1.0, 0.0, 1.0], [1, 0, 1]) == 0.0
    assert brier([0.5, 0.5], [1, 0]) == pytest.approx(0.25)
    assert brier([0.9, 0.1], [1, np.nan]) == pytest.approx(0.01)  # the push is excluded
    with pytest.raises(ValueError, match=r"\[1\.2\]"):
        brier([1.2], [1])


def test_log_loss_clips_certain_mistakes() -> None:
    assert log_loss([0.5, 0.5], [1, 0]) == pytest.approx(math.log(2))
    assert log_loss([1.0], [0], eps=1e-6) == pytest.approx(-math.log(1e-6))
    assert math.isfinite(log_loss([0.0, 1.0], [1, 0]))
    assert log_loss([0.8, 0.3], [1, np.nan]) == pytest.approx(-math.log(0.8))


EDGE = [1.2, -1.5, 2.0, 0.8, 1.0]
LINE = [5.5, 6.5, 5.0, 4.5, 5.5]
ACTUAL = [7, 5, 5, 3, 4]  # over wins, under wins, over pushes, no bet, over loses


def test_betting_rule_at_even_money() -> None:
    even = [100] * 5
    result = bet_results(EDGE, LINE, ACTUAL, even, even, threshold=1.0)
    assert (result.n_bets, result.n_over, result.n_under) == (4, 3, 1)
    assert (result.wins, result.losses, result.pushes) == (2, 1, 1)
    assert result.hit_rate == pytest.approx(2 / 3)  # the push is not a loss
    assert result.profit == pytest.approx(1.0)
    assert result.roi == pytest.approx(1 / 4)  # the push is a returned stake


def test_betting_pays_the_price_of_the_side_bet() -> None:
    over = [-120, 500, 100, 100, 100]  # row 1 bets under: its over price must not be used
    under = [500, 110, 100, 100, 100]
    result = bet_results(EDGE, LINE, ACTUAL, over, under, threshold=1.0)
    assert result.profit == pytest.approx(100 / 120 + 1.1 - 1)


def test_one_win_one_loss_at_plus_100_breaks_even() -> None:
    result = bet_results([1.0, 1.0], [5.5, 5.5], [6, 5], [100, 100], [100, 100], threshold=0.5)
    assert (result.wins, result.losses, result.roi) == (1, 1, 0.0)


def test_a_lone_push_is_neither_hit_nor_loss() -> None:
    result = bet_results([-2.0], [6.0], [6], [np.nan], [-110], threshold=1.0)
    assert (result.n_bets, result.pushes, result.losses, result.roi) == (1, 1, 0, 0.0)
    assert math.isnan(result.hit_rate)


def test_no_price_for_the_side_means_no_bet() -> None:
    result = bet_results([2.0, -2.0], [5.5, 5.5], [7, 3], [np.nan, -110], [-110, np.nan], 1.0)
    assert result.n_bets == 0
    assert math.isnan(result.roi)


def _predictions() -> pd.DataFrame:
    games = pd.DataFrame(
        {
            "game_date": pd.to_datetime(["2024-06-01", "2024-06-01", "2024-06-02", "2024-06-03"]),
            "game_id": ["g1", "g2", "g3", "g4"],
            "pitcher_id": [1, 2, 3, 4],
            "line": [5.5, 6.0, 4.5, np.nan],
            "close_over": [-110, 120, -110, np.nan],
            "close_under": [-110, -140, -110, np.nan],
            "actual_strikeouts": [7, 6, 3, 5],
            "naive_prediction": [5.0, 5.0, 5.0, 5.0],
        }
    )
    a = games.assign(system_id="sys_a", predicted_strikeouts=[7.0, 5.0, 5.0, 6.0])
    a["p_over"] = [0.7, 0.4, 0.6, np.nan]
    b = games.assign(system_id="sys_b", predicted_strikeouts=[5.0, 7.0, 3.0, 5.0])
    b["p_over"] = [0.3, 0.6, 0.4, np.nan]
    return pd.concat([a, b], ignore_index=True)


def test_summarize_per_system() -> None:
    table, report = summarize(_predictions(), thresholds=[1.0], prob_thresholds=[0.05])
    a = table.set_index("system_id").loc["sys_a"]
    assert a["n"] == 4
    assert a["mae"] == pytest.approx((0 + 1 + 2 + 1) / 4)
    assert a["bias"] == pytest.approx((0 - 1 + 2 + 1) / 4)
    assert a["naive_mae"] == pytest.approx((2 + 1 + 2 + 0) / 4)
    assert (a["n_with_line"], a["n_pushes"]) == (3, 1)
    assert a["line_mae"] == pytest.approx((1.5 + 0 + 1.5) / 3)
    assert a["mae_on_lined"] == pytest.approx((0 + 1 + 2) / 3)
    # decided starts: g1 over (p 0.7), g3 under (p 0.6); g2 is a push
    assert a["brier"] == pytest.approx((0.3**2 + 0.6**2) / 2)
    assert a["close_brier"] == pytest.approx(0.25)  # both decided closes were -110/-110
    # count edges: g1 +1.5 over wins at -110, g2 -1.0 under pushes, g3 +0.5 no bet
    assert a["n_bets_count@1"] == 2
    assert a["hit_rate_count@1"] == pytest.approx(1.0)
    assert a["roi_count@1"] == pytest.approx((100 / 110) / 2)
    b = table.set_index("system_id").loc["sys_b"]
    # sys_b: g1 -0.5 no bet, g2 +1.0 over pushes, g3 -1.5 under wins
    assert (b["n_bets_count@1"], b["hit_rate_count@1"]) == (2, 1.0)

    text = json.dumps(report, allow_nan=False)  # NaN is written as null
    assert json.loads(text)["sys_a"]["bets"][0]["n_bets"] == 2
    assert report["sys_a"]["bets"][1]["edge"] == "prob"


def test_summarize_refuses_duplicates_and_missing_columns() -> None:
    frame = _predictions()
    with pytest.raises(ValueError, match=r"2 rows sharing .*'game_id': 'g1'"):
        summarize(pd.concat([frame, frame.iloc[[0]]], ignore_index=True))
    with pytest.raises(ValueError, match=r"missing columns \['p_over'\]"):
        summarize(frame.drop(columns="p_over"))
