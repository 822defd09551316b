"""The red-flag hit table counts what it says: sides graded against the closing line, pushes
out, flags raised by the pipeline's own rules, agreement levels as the ensemble gives them."""

from __future__ import annotations

import pandas as pd
import pytest

from strikeouts.backtest.flag_hits import (
    candidate,
    daily_agreement,
    hit_table,
    raised,
    sides,
    spreads,
)
from strikeouts.pipeline.config import PipelineConfig

HIGH_VARIANCE = candidate("high_k_variance", "std > 4", ("k_std_last10", "gt", 4.0))


def _rows() -> pd.DataFrame:
    # five starts of one system at line 5.5 (one a push at 5.0): OVER favoured on g1-g3
    return pd.DataFrame(
        {
            "game_id": ["g1", "g2", "g3", "g4", "g5"],
            "pitcher_id": [1, 2, 3, 4, 5],
            "system_id": "v1_baseline",
            "line": [5.5, 5.5, 5.5, 5.5, 5.0],
            "p_over": [0.7, 0.6, 0.55, 0.3, 0.4],
            "predicted_strikeouts": [6.5, 5.6, 6.1, 4.5, 4.0],
            "actual_strikeouts": [7, 3, 8, 4, 5],
        }
    )


def test_sides_grade_against_the_closing_line_and_leave_pushes_undecided() -> None:
    measured = sides(_rows(), edge_threshold=0.5)
    assert measured["favoured"].tolist() == ["OVER", "OVER", "OVER", "UNDER", "UNDER"]
    assert measured["call"].tolist() == ["OVER", "PASS", "OVER", "UNDER", "UNDER"]
    assert measured["won"].tolist()[:4] == [1.0, 0.0, 1.0, 1.0]
    assert pd.isna(measured["won"].iloc[4])  # 5 K at a 5.0 line: a push


def test_flags_are_the_pipelines_rule_and_a_missing_input_raises_none() -> None:
    features = pd.DataFrame(
        {"game_id": ["g1", "g2", "g3"], "pitcher_id": [1, 2, 3], "k_std_last10": [4.5, 4.0, None]}
    )
    flags = raised(features, [HIGH_VARIANCE])
    assert flags["std > 4"].tolist() == [True, False, False]


def test_hit_table_counts_decided_bets_by_side_with_and_without_the_flag() -> None:
    measured = sides(_rows(), 0.5).assign(**{"std > 4": [True, True, False, False, True]})
    table = hit_table(measured, ["std > 4"], "favoured").set_index("side")
    over = table.loc["OVER"]
    assert (over["n_flag"], over["hit_flag"]) == (2, 0.5)  # g1 won, g2 lost
    assert (over["n_none"], over["hit_none"]) == (1, 1.0)
    assert over["implied_factor"] == pytest.approx(0.0)  # (0.5 - 0.5) / (1.0 - 0.5)
    under = table.loc["UNDER"]
    assert (under["n_flag"], under["n_none"]) == (0, 1)  # g5 pushed: not a decided bet
    calls = hit_table(measured, ["std > 4"], "call").set_index("side")
    assert calls.loc["OVER", "n_flag"] == 1  # g2 was a PASS


def test_agreement_levels_are_the_ensembles_strict_boundaries() -> None:
    rows = pd.DataFrame(
        {
            "game_id": ["a", "a", "b", "b", "c", "c", "d"],
            "pitcher_id": [1, 1, 2, 2, 3, 3, 4],
            "game_date": "2025-06-01",
            "system_id": ["s1", "s2"] * 3 + ["s1"],
            "predicted_strikeouts": [5.0, 5.9, 5.0, 6.0, 5.0, 7.0, 5.0],
        }
    )
    per_start = spreads(rows, ["s1", "s2"], PipelineConfig()).set_index("game_id")
    assert per_start["level"].to_dict() == {"a": "strong", "b": "moderate", "c": "disagree"}
    daily = daily_agreement(per_start.reset_index(), ["strong", "moderate"])
    assert daily[["compared", "share"]].values.tolist() == [[3, pytest.approx(2 / 3)]]
