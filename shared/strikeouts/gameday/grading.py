"""Grading: every prediction row of a date against what happened, into ``prediction_grades``.

Invariants:

- One grade per prediction row (same key plus ``game_date``), upserted: regrading after a
  corrected box score replaces the grade, regrading unchanged inputs changes only
  ``graded_at``.
- The books' rules: PUSH when the actual equals the line; VOID when the pitcher did not start
  (another pitcher started his side, or the game was postponed, suspended or cancelled) —
  VOID comes first, so a voided pitcher-game has no outcome and no error; NO_BET for PASS,
  NO_LINE and skip/error rows.
- A game with neither a start in the warehouse nor a known void state is not graded yet
  (results pending), never graded as a loss.
- The closing line is the last live snapshot before first pitch when there is one, else the
  bulk ``prop_lines`` close; it is for closing-line value only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from strikeouts.names import PREDICTIONS
from strikeouts.warehouse.base import Warehouse

TABLE = "prediction_grades"
VOID_STATES = frozenset({"postponed", "suspended", "cancelled"})
BETS = ("OVER", "UNDER")

PREDICTIONS_SQL = """
SELECT run_id, game_id, pitcher_id, system_id, game_date, game_pk, pitcher_name,
       predicted_strikeouts, line, over_odds, under_odds, recommendation, status
FROM pitcher_strikeout_predictions WHERE game_date = @day
"""
STARTS_SQL = """
SELECT game_id, pitcher_id, strikeouts, source FROM pitcher_starts WHERE game_date = @day
"""
CLOSE_SQL = """
SELECT game_id, pitcher_id, close_line, close_over, close_under FROM (
  SELECT game_id, pitcher_id, line AS close_line, over_odds AS close_over,
         under_odds AS close_under, 0 AS rank_source, snapshot_at
  FROM prop_line_snapshots
  WHERE game_date = @day AND game_id IS NOT NULL AND pitcher_id IS NOT NULL
    AND (commence_time IS NULL OR snapshot_at < commence_time)
  UNION ALL
  SELECT game_id, pitcher_id, close_line, close_over, close_under, 1 AS rank_source,
         close_snapshot_at AS snapshot_at
  FROM prop_lines
  WHERE game_date = @day AND game_id IS NOT NULL AND pitcher_id IS NOT NULL
    AND close_line IS NOT NULL
)
QUALIFY ROW_NUMBER() OVER (
  PARTITION BY game_id, pitcher_id ORDER BY rank_source, snapshot_at DESC
) = 1
"""


@dataclass(frozen=True)
class GradeReport:
    """What one grading of a date did."""

    day: dt.date
    graded: int
    pending: int
    bet_results: dict[str, int]


def grade_date(
    warehouse: Warehouse,
    day: dt.date,
    states: Mapping[str, str] | None = None,
    now: dt.datetime | None = None,
) -> GradeReport:
    """Grade every prediction row of ``day``; ``states`` maps game_id → live game state."""
    warehouse.ensure_tables([TABLE, "prop_line_snapshots", PREDICTIONS])
    preds = warehouse.query(PREDICTIONS_SQL, {"day": day})
    starts = warehouse.query(STARTS_SQL, {"day": day})
    close = warehouse.query(CLOSE_SQL, {"day": day})
    grades = grade_rows(preds, starts, close, states or {}, now or dt.datetime.now(dt.UTC))
    ready = grades[grades["bet_result"].notna()]
    if not ready.empty:
        warehouse.upsert(TABLE, ready)
    counts = ready["bet_result"].value_counts()
    return GradeReport(
        day=day,
        graded=len(ready),
        pending=len(grades) - len(ready),
        bet_results={str(k): int(v) for k, v in counts.items()},
    )


def grade_rows(
    preds: pd.DataFrame,
    starts: pd.DataFrame,
    close: pd.DataFrame,
    states: Mapping[str, str],
    now: dt.datetime,
) -> pd.DataFrame:
    """The grade of every prediction row; ``bet_result`` is NULL where results are pending."""
    rows = preds.merge(
        starts.rename(columns={"strikeouts": "actual_strikeouts", "source": "results_source"}),
        on=["game_id", "pitcher_id"],
        how="left",
    ).merge(close, on=["game_id", "pitcher_id"], how="left")
    played = set(starts["game_id"])
    graded = [_grade(r, r["game_id"] in played, states.get(r["game_id"])) for r in _records(rows)]
    out = pd.DataFrame(graded, columns=[*rows.columns, *_ADDED]).drop(columns=["status"])
    out["graded_at"] = pd.Timestamp(now)
    return out


_ADDED = (
    "game_state",
    "started",
    "outcome",
    "bet_result",
    "profit_units",
    "abs_error",
    "clv_points",
)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts with NULLs (NaN, NA) as None."""
    return [
        {str(k): (None if _null(v) else v) for k, v in row.items()}
        for row in frame.to_dict("records")
    ]


def _null(value: Any) -> bool:
    return value is None or (not isinstance(value, str | list) and bool(pd.isna(value)))


def _grade(row: dict[str, Any], played: bool, state: str | None) -> dict[str, Any]:
    actual, line = row["actual_strikeouts"], row["line"]
    started = actual is not None
    if started:
        game_state = "final"
    elif state in VOID_STATES:
        game_state = str(state)
    else:
        game_state = "no_start" if played else (state or "pending")
    outcome = None if not started or line is None else _outcome(float(actual), float(line))
    rec = row["recommendation"]
    bet = rec in BETS and line is not None
    if game_state in VOID_STATES or game_state == "no_start":
        result: str | None = "VOID"
    elif not started:
        result = None  # results pending: graded when they land
    elif not bet:
        result = "NO_BET"
    elif outcome == "PUSH":
        result = "PUSH"
    else:
        result = "WIN" if outcome == rec else "LOSS"
    price = row["over_odds"] if rec == "OVER" else row["under_odds"]
    predicted, close = row["predicted_strikeouts"], row["close_line"]
    return {
        **row,
        "game_state": game_state,
        "started": started,
        "outcome": outcome,
        "bet_result": result,
        "profit_units": _profit(result, price),
        "abs_error": abs(float(predicted) - float(actual))
        if started and predicted is not None
        else None,
        "clv_points": _clv(rec, line, close),
    }


def _outcome(actual: float, line: float) -> str:
    return "OVER" if actual > line else "UNDER" if actual < line else "PUSH"


def _profit(result: str | None, price: Any) -> float | None:
    """Profit of one unit staked at ``price`` (American); NULL for NO_BET or a missing price."""
    if result in ("PUSH", "VOID"):
        return 0.0
    if result == "LOSS":
        return -1.0
    if result != "WIN" or price is None:
        return None
    odds = float(price)
    return odds / 100.0 if odds > 0 else 100.0 / abs(odds)


def _clv(rec: Any, line: Any, close: Any) -> float | None:
    """Points the line moved in the bet's favour by the close (OVER: up is good)."""
    if rec not in BETS or line is None or close is None:
        return None
    return float(close) - float(line) if rec == "OVER" else float(line) - float(close)
