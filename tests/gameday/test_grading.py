"""Grading rules on hand-made rows: the books' rules, pending results, closing-line value."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from strikeouts.gameday.grading import grade_date, grade_rows
from strikeouts.warehouse.duckdb_backend import DuckDBWarehouse

NOW = dt.datetime(2025, 7, 5, 9, tzinfo=dt.UTC)
DAY = dt.date(2025, 7, 4)


def _pred(game: str, pitcher: int, rec: str | None, line: float | None, **extra: object) -> dict:
    return {
        "run_id": "r1",
        "game_id": game,
        "pitcher_id": pitcher,
        "system_id": "ensemble_v1",
        "game_date": DAY,
        "game_pk": 1,
        "pitcher_name": f"P{pitcher}",
        "predicted_strikeouts": 5.0,
        "line": line,
        "over_odds": -120,
        "under_odds": 110,
        "recommendation": rec,
        "status": "ok" if rec else "skip",
        **extra,
    }


PREDS = pd.DataFrame(
    [
        _pred("G1", 1, "OVER", 5.5),  # 7 K: WIN at -120
        _pred("G1", 2, "UNDER", 5.5),  # 7 K: LOSS
        _pred("G2", 3, "OVER", 6.0),  # 6 K: PUSH
        _pred("G2", 4, "PASS", 4.5),  # NO_BET, still an outcome and an error
        _pred("G2", 9, "OVER", 4.5),  # G2 was played, 9 did not start: VOID
        _pred("G3", 5, "UNDER", 5.5),  # G3 postponed: VOID
        _pred("G4", 6, "OVER", 5.5),  # G4 no result yet: pending
        _pred("G1", 7, None, None),  # skip row of a starter? not a starter here: no_start VOID
        _pred("G5", 8, "NO_LINE", None),  # started, no line: NO_BET without outcome
    ]
)
STARTS = pd.DataFrame(
    {
        "game_id": ["G1", "G1", "G2", "G2", "G5"],
        "pitcher_id": [1, 2, 3, 4, 8],
        "strikeouts": [7, 7, 6, 2, 3],
        "source": ["statsapi"] * 5,
    }
)
CLOSE = pd.DataFrame(
    {
        "game_id": ["G1", "G1"],
        "pitcher_id": [1, 2],
        "close_line": [6.5, 4.5],
        "close_over": [-110, 100],
        "close_under": [-110, -130],
    }
)


@pytest.fixture
def graded() -> pd.DataFrame:
    out = grade_rows(PREDS, STARTS, CLOSE, {"G3": "postponed"}, NOW)
    return out.set_index("pitcher_id")


def test_bet_results_follow_the_books_rules(graded: pd.DataFrame) -> None:
    assert graded["bet_result"].fillna("pending").to_dict() == {
        1: "WIN",
        2: "LOSS",
        3: "PUSH",
        4: "NO_BET",
        9: "VOID",
        5: "VOID",
        6: "pending",
        7: "VOID",
        8: "NO_BET",
    }
    assert graded.loc[5, "game_state"] == "postponed" and graded.loc[9, "game_state"] == "no_start"
    assert graded.loc[6, "game_state"] == "pending"


def test_outcomes_errors_and_profits(graded: pd.DataFrame) -> None:
    assert graded.loc[[1, 2, 3, 4], "outcome"].tolist() == ["OVER", "OVER", "PUSH", "UNDER"]
    assert graded.loc[[5, 8, 9], "outcome"].isna().all()
    assert graded.loc[[1, 4, 8], "abs_error"].tolist() == [2.0, 3.0, 2.0]
    assert graded.loc[[5, 9], "abs_error"].isna().all()
    assert graded.loc[1, "profit_units"] == pytest.approx(100 / 120)
    assert graded.loc[[2, 3, 5], "profit_units"].tolist() == [-1.0, 0.0, 0.0]
    assert pd.isna(graded.loc[4, "profit_units"])


def test_closing_line_value_is_signed_by_the_bet(graded: pd.DataFrame) -> None:
    assert graded.loc[1, "clv_points"] == 1.0  # OVER 5.5, closed 6.5: the market moved our way
    assert graded.loc[2, "clv_points"] == 1.0  # UNDER 5.5, closed 4.5
    assert pd.isna(graded.loc[3, "clv_points"])  # no closing line known


def test_grade_date_upserts_once_per_row_and_skips_pending(tmp_path: object) -> None:
    wh = DuckDBWarehouse(":memory:")
    wh.ensure_tables()
    preds = PREDS.assign(
        team="AAA",
        opponent="BBB",
        is_home=True,
        run_created_at=pd.Timestamp(NOW),
        created_at=pd.Timestamp(NOW),
        red_flags=[[] for _ in range(len(PREDS))],
        contributing_systems=[[] for _ in range(len(PREDS))],
        missing_systems=[[] for _ in range(len(PREDS))],
    )
    wh.merge("pitcher_strikeout_predictions", preds)
    starts = STARTS.assign(
        game_date=DAY, season=2025, team="AAA", opponent="BBB", is_home=True, outs=18
    )
    wh.merge("pitcher_starts", starts)
    first = grade_date(wh, DAY, {"G3": "postponed"}, NOW)
    assert (first.graded, first.pending) == (8, 1)
    again = grade_date(wh, DAY, {"G3": "postponed"}, NOW + dt.timedelta(hours=1))
    assert again.bet_results == first.bet_results
    assert wh.row_count("prediction_grades") == 8
    wh.upsert("pitcher_starts", starts.assign(strikeouts=[5, 7, 6, 2, 3]))  # corrected box
    grade_date(wh, DAY, {"G3": "postponed"}, NOW)
    row = wh.query("SELECT bet_result FROM prediction_grades WHERE pitcher_id = 1")
    assert list(row["bet_result"]) == ["LOSS"]
    wh.close()
