"""The backtest's confidence is the handler's, its buckets grade the favoured side honestly, and
every priced closing line is scored against the de-vigged books on the same lines."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest

from strikeouts.backtest.alternates import priced_lines, score_alternates, system_alternates
from strikeouts.backtest.confidence import confidence_buckets, system_confidence
from strikeouts.backtest.walkforward import walk_forward
from strikeouts.evaluation.odds import devig_two_way
from strikeouts.models.systems import SYSTEMS
from strikeouts.pipeline.assessment import assess, base_confidence, favoured_side, scaled
from strikeouts.pipeline.config import PipelineConfig
from strikeouts.warehouse.base import Warehouse

START, END = dt.date(2025, 6, 1), dt.date(2025, 6, 14)
CONFIG = PipelineConfig()


@pytest.fixture(scope="module")
def run(ingested: Warehouse) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    alternates: list[pd.DataFrame] = []
    rows = walk_forward(ingested, START, END, retrain="once", alternates=alternates)
    return rows, alternates


@pytest.mark.data
def test_each_rows_confidence_is_what_the_handler_gives_its_features(
    run: tuple[pd.DataFrame, list[pd.DataFrame]],
) -> None:
    rows = run[0]
    rated = rows[
        rows["system_id"].isin(["v1_baseline", "v1_6_rolling"]) & rows["confidence"].notna()
    ]
    assert len(rated) > 500
    assert rated["confidence"].between(50, 100).all()
    assert (rows.loc[rows["skipped"].fillna(False).astype(bool), "confidence"].isna()).all()
    sample = rated.sample(40, random_state=1)
    for row in sample.to_dict("records"):
        p = float(row["p_over_open"])
        base = base_confidence(p, float(row["feature_coverage"]))
        assert row["base_confidence"] == pytest.approx(base)
        flags = [f for f in str(row["red_flags"] or "").split("|") if f]
        factor = np.prod([CONFIG.red_flags[f].factor(favoured_side(p)) for f in flags] or [1.0])
        assert row["confidence"] == pytest.approx(scaled(base, float(factor), CONFIG))


def test_buckets_grade_the_favoured_side_and_leave_pushes_out() -> None:
    rows = pd.DataFrame(
        {
            "system_id": ["s"] * 5,
            "confidence": [55.0, 57.0, 65.0, 66.0, 58.0],
            "p_over_open": [0.6, 0.3, 0.7, 0.7, 0.6],
            "open_line": [5.5, 5.5, 4.5, 4.5, 6.0],
            "actual_strikeouts": [6.0, 7.0, 5.0, 3.0, 6.0],  # win, loss, win, loss, push
            "predicted_strikeouts": [6.0, 5.0, 5.5, 5.5, 6.5],
        }
    )
    table = confidence_buckets(rows).set_index("bucket")
    assert table.loc[50, "n"] == 3 and table.loc[50, "decided"] == 2
    assert table.loc[50, "hit_rate"] == pytest.approx(0.5)
    assert table.loc[60, "hit_rate"] == pytest.approx(0.5)
    assert table.loc[50, "mae"] == pytest.approx((0 + 2 + 0.5) / 3)


def test_priced_lines_take_the_median_devigged_book_and_skip_one_sided_prices() -> None:
    test = pd.DataFrame(
        {
            "close_all_lines_json": [
                json.dumps(
                    {
                        "5.5": {
                            "A": {"over": -120, "under": 100},
                            "B": {"over": -110, "under": -110},
                            "C": {"over": -130},
                        },
                        "6.5": {"A": {"over": 150, "under": -190}},
                    }
                ),
                None,
            ],
            "close_line": [5.5, np.nan],
        }
    )
    lines = priced_lines(test).set_index("line")
    a = float(devig_two_way(-120, 100)[0])
    assert lines.loc[5.5, "p_book"] == pytest.approx(np.median([a, 0.5]))
    assert lines.loc[5.5, "n_books"] == 2 and bool(lines.loc[5.5, "is_main"])
    assert not bool(lines.loc[6.5, "is_main"]) and len(lines) == 2


@pytest.mark.data
def test_alternate_lines_are_scored_for_every_system_and_the_ensemble(
    run: tuple[pd.DataFrame, list[pd.DataFrame]],
) -> None:
    alternates = pd.concat(run[1], ignore_index=True)
    assert set(alternates["system_id"]) == set(SYSTEMS)
    assert (~alternates["is_main"]).sum() > 100  # alternate lines, not only the main one
    assert alternates["p_model"].between(0, 1).all() and alternates["p_book"].between(0, 1).all()
    # a higher line of the same start is never more likely to go over
    one = alternates[alternates["system_id"] == "v1_baseline"].sort_values("line")
    for _, start in one.groupby(["game_id", "pitcher_id"]):
        assert start["p_model"].is_monotonic_decreasing
    scores = score_alternates(run[1]).set_index(["system_id", "lines"])
    assert set(scores.index.get_level_values(0)) == {*SYSTEMS, "ensemble_v1"}
    assert (scores["n"] > 0).all()
    assert scores["brier"].between(0.1, 0.3).all() and scores["book_brier"].between(0.1, 0.3).all()


def test_system_alternates_of_a_start_without_prices_is_empty() -> None:
    test = pd.DataFrame({"close_all_lines_json": [None], "close_line": [np.nan]})
    assert system_alternates(test, None, [5.0], "v1_baseline").empty  # type: ignore[arg-type]


def test_system_confidence_skips_a_hard_red_flag() -> None:
    test = pd.DataFrame(
        {
            "career_starts_before": [1.0, 60.0],
            "season_starts_before": [1.0, 10.0],
            "coverage_v1_baseline": [1.0, 1.0],
        }
    )
    got = system_confidence(test, [0.7, 0.7], "v1_baseline", CONFIG)
    assert got["skipped"].tolist() == [True, False]
    assert np.isnan(got["confidence"].iloc[0]) and got["confidence"].iloc[1] == pytest.approx(70.0)
    assert assess({"career_starts_before": 1.0}, CONFIG).skip_reason is not None
