"""A prepared history gives exactly the plain build's features, on any date, for any targets.

The state tables' indexed as-of lookup is checked against ``merge_asof`` (the join the build
used before the lookup existed) table by table and for a whole build, exactly (not within a
tolerance): the speed-up must not move a single value.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pandas as pd
import pytest

from strikeouts.features import (
    History,
    PreparedHistory,
    build_features,
    build_prepared,
    prepare_history,
    start_targets,
)
from strikeouts.features.catalog import WORKLOAD_WINDOW_DAYS
from strikeouts.features.prepared import home_team
from strikeouts.features.rolling import STATE_DATE, StateTable, as_of
from strikeouts.features.targets import normal_targets

pytestmark = pytest.mark.data

# table -> the key it is joined by
TABLES = {
    "league": (),
    "pitcher": ("pitcher_id",),
    "season": ("pitcher_id", "season"),
    "opponent_recent": ("opponent",),
    "opponent_season": ("opponent", "season"),
    "vs_opponent": ("pitcher_id", "opponent"),
    "park": ("park",),
    "umpire": ("umpire_home",),
    "line_results": ("pitcher_id",),
}


# for the three odd targets (pitchers 1-3; opponents XXX, NULL, NYY; umpires NULL, nobody,
# NULL): which find no state row
ODD_MISSES = {
    "league": [False, False, False],
    "pitcher": [True, True, True],
    "season": [True, True, True],
    "vs_opponent": [True, True, True],
    "line_results": [True, True, True],
    "opponent_recent": [True, True, False],
    "opponent_season": [True, True, False],
    "umpire": [True, True, True],
}


def _all_targets(history: History) -> pd.DataFrame:
    """Every start as a target, plus keys no state holds (unknown, NULL) and shifted dates."""
    t = normal_targets(start_targets(history, dt.date(2021, 1, 1), dt.date(2026, 12, 31)), None)
    odd = t.tail(3).copy()  # the last date: every real key has earlier rows
    odd["pitcher_id"] = [1, 2, 3]
    odd["opponent"] = ["XXX", None, "NYY"]
    odd["umpire_home"] = [None, "nobody", None]
    t = pd.concat([t, odd], ignore_index=True)
    return t.assign(
        park=home_team(t), _from=t["game_date"] - pd.Timedelta(days=WORKLOAD_WINDOW_DAYS)
    )


@pytest.fixture(scope="module")
def all_targets(history: History) -> pd.DataFrame:
    return _all_targets(history)


@pytest.mark.parametrize("name", sorted(TABLES))
@pytest.mark.parametrize("on", ["game_date", "_from"])
def test_state_table_joins_the_rows_merge_asof_joins(
    prepared: PreparedHistory, all_targets: pd.DataFrame, name: str, on: str
) -> None:
    table: StateTable = getattr(prepared, name)
    by = list(TABLES[name])
    indexed = as_of(all_targets, table, by, on=on)
    merged = as_of(all_targets, table.frame, by, on=on)
    assert indexed[table.columns].notna().any(axis=None)  # something was joined
    odd = indexed.iloc[-3:][STATE_DATE].isna().tolist()
    assert odd == ODD_MISSES.get(name, odd), odd  # unknown and NULL keys join nothing
    pd.testing.assert_frame_equal(indexed, merged, check_exact=True, check_column_type=False)


def test_a_state_table_is_asked_by_its_own_key(
    prepared: PreparedHistory, all_targets: pd.DataFrame
) -> None:
    with pytest.raises(ValueError, match="keyed by"):
        as_of(all_targets, prepared.pitcher, ["opponent"])


def test_a_build_through_merge_asof_equals_the_indexed_build(
    history: History, prepared: PreparedHistory, backtest: pd.DataFrame
) -> None:
    # the same prepared tables handed to as_of as plain frames take the merge_asof path
    frames: dict[str, Any] = {name: getattr(prepared, name).frame for name in TABLES}
    reference = dataclasses.replace(prepared, **frames)
    targets = start_targets(history, dt.date(2022, 1, 1), dt.date(2026, 12, 31))
    expected = backtest.drop(columns="actual_k")
    pd.testing.assert_frame_equal(build_prepared(reference, targets), expected, check_exact=True)


def test_a_prepared_full_history_equals_the_plain_build_of_a_cut_history(
    history: History, prepared: PreparedHistory
) -> None:
    targets = start_targets(history, dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    plain = build_features(history.cut(dt.date(2026, 1, 1)), targets)
    assert len(plain) > 4000
    from_prepared = build_prepared(prepared, targets)
    pd.testing.assert_frame_equal(from_prepared, plain, check_exact=True)
    pd.testing.assert_frame_equal(
        build_features(history, targets, prepared=prepared), plain, check_exact=True
    )


def test_a_prepared_history_is_not_changed_by_building(
    history: History, prepared: PreparedHistory
) -> None:
    july = start_targets(history, dt.date(2025, 7, 1), dt.date(2025, 7, 31))
    first = build_prepared(prepared, july)
    build_prepared(prepared, start_targets(history, dt.date(2024, 4, 1), dt.date(2024, 4, 30)))
    pd.testing.assert_frame_equal(build_prepared(prepared, july), first, check_exact=True)


def test_prepared_from_another_history_is_refused(
    history: History, prepared: PreparedHistory
) -> None:
    cut = history.cut(dt.date(2025, 7, 19))
    targets = start_targets(history, dt.date(2025, 7, 18), dt.date(2025, 7, 18))
    with pytest.raises(ValueError, match="another History"):
        build_features(cut, targets, prepared=prepared)


def test_the_first_date_of_the_data_builds_from_an_empty_history(
    history: History, prepared: PreparedHistory
) -> None:
    first = history.starts["game_date"].min().date()
    targets = start_targets(history, first, first)
    empty = history.cut(first)
    assert empty.starts.empty and empty.openers.empty and len(targets) > 10
    from_empty = build_features(empty, targets)
    assert from_empty["career_starts_before"].eq(0).all()
    assert from_empty["days_into_season"].eq(0).all()
    pd.testing.assert_frame_equal(build_prepared(prepared, targets), from_empty, check_exact=True)


def test_a_line_dated_before_its_start_is_read_only_after_the_start() -> None:
    def start(day: str, game: str, k: int) -> dict[str, object]:
        return {
            "game_date": day,
            "season": 2025,
            "game_id": game,
            "pitcher_id": 7,
            "team": "BOS",
            "opponent": "NYA",
            "is_home": True,
            "strikeouts": k,
            "outs": 18,
            "batters_faced": 24,
            "walks": 1,
            "hits": 4,
            "runs": 1,
            "pitches": 90,
            "tto_max": 3,
            "umpire_home": None,
            "park_id": None,
        }

    starts = pd.DataFrame([start("2025-05-01", "G1", 8), start("2025-05-06", "G2", 3)])
    # G2's line is dated two days before G2 itself: its result is known on 05-06, not 05-04
    lines = pd.DataFrame(
        {
            "game_date": ["2025-05-01", "2025-05-04"],
            "game_id": ["G1", "G2"],
            "pitcher_id": [7, 7],
            "open_line": [5.5, 5.5],
            "open_over": [-110, -110],
            "open_under": [-110, -110],
            "close_line": [5.5, 5.5],
        }
    )
    openers = pd.DataFrame({"season": [2025], "first_game": ["2025-03-27"]})
    history = History.from_frames(starts, openers, lines)
    targets = pd.DataFrame(
        {
            "game_date": ["2025-05-05", "2025-05-07"],
            "game_id": ["G3", "G4"],
            "pitcher_id": [7, 7],
            "team": "BOS",
            "opponent": "NYA",
            "is_home": True,
        }
    )
    over = build_prepared(prepare_history(history), targets)["over_rate_last10_lines"]
    assert over.tolist() == [1.0, 0.5]  # 05-05: G1 over only; 05-07: G1 over, G2 under
    assert build_features(history.cut(dt.date(2025, 5, 5)), targets.head(1))[
        "over_rate_last10_lines"
    ].tolist() == [1.0]
