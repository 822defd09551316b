"""The monitoring views on real replayed rows: same results on both backends, the backtest's
metrics for the same rows, and the grading rules (missing is NULL, pushes and voids excluded)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from strikeouts.evaluation.metrics import bet_results, summarize
from strikeouts.monitoring.views import VIEWS, rollup, view_sql
from strikeouts.warehouse import Warehouse

from .conftest import FIRST, LAST, OpenLoaded
from .frames import canonical

pytestmark = pytest.mark.data


@pytest.mark.emulator
@pytest.mark.parametrize("view", VIEWS[1:])
def test_view_is_the_same_on_duckdb_and_bigquery(
    both_loaded: tuple[Warehouse, Warehouse], view: str
) -> None:
    duck, bq = both_loaded
    sql = f"SELECT * FROM {view}"
    on_duck, on_bq = duck.query(sql), bq.query(sql)
    assert len(on_duck) > 0
    assert sorted(on_duck.columns) == sorted(on_bq.columns)
    assert canonical(on_duck) == canonical(on_bq)


@pytest.mark.emulator
def test_window_rollups_are_the_same_on_both_backends(
    both_loaded: tuple[Warehouse, Warehouse],
) -> None:
    for view, by in (
        ("system_performance", ("system_id",)),
        ("system_agreement", ("agreement", "system_id")),
        ("confidence_calibration", ("confidence_bucket", "system_id")),
    ):
        duck, bq = (rollup(w, view, FIRST, LAST, by) for w in both_loaded)
        assert len(duck) > 0
        assert canonical(duck) == canonical(bq), view


def _graded(warehouse: Warehouse) -> pd.DataFrame:
    rows = warehouse.query(
        "SELECT * FROM graded_predictions WHERE game_date BETWEEN @s AND @e",
        {"s": FIRST, "e": LAST},
    )
    # a skipped row is not graded (its count is the system's, not a claim): as the view
    skipped = rows["status"] == "skip"
    rows.loc[skipped, ["predicted_strikeouts", "p_over"]] = np.nan
    return rows


@pytest.mark.parametrize(
    "backend", ["duckdb", pytest.param("bigquery", marks=pytest.mark.emulator)]
)
def test_performance_equals_the_backtest_metrics_on_the_same_rows(
    open_loaded: OpenLoaded, backend: str
) -> None:
    warehouse = open_loaded(backend)
    view = rollup(warehouse, "system_performance", FIRST, LAST).set_index("system_id")
    # the view bets at the recorded (opening) prices: they stand in the backtest's price columns
    rows = (
        _graded(warehouse)
        .drop(columns=["close_over", "close_under"])
        .rename(columns={"over_odds": "close_over", "under_odds": "close_under"})
    )
    table, _ = summarize(rows)
    table = table.set_index("system_id")
    predicted = rows[rows["predicted_strikeouts"].notna()]
    closing, _ = summarize(
        predicted.assign(line=predicted["close_line"], close_over=np.nan, close_under=np.nan)
    )
    closing = closing.set_index("system_id")
    assert set(view.index) == {"v1_baseline", "v1_6_rolling", "ensemble_v1"}
    for system, group in rows.groupby("system_id"):
        actionable = group["recommendation"].isin(["OVER", "UNDER"])
        bets = bet_results(
            group["edge"].where(actionable),
            group["line"],
            group["actual_strikeouts"],
            group["close_over"],
            group["close_under"],
            threshold=0.0,
        )
        got = view.loc[system]
        assert int(got["graded"]) == table.loc[system, "n"]
        assert got["mae"] == pytest.approx(table.loc[system, "mae"], abs=1e-9)
        assert got["bias"] == pytest.approx(table.loc[system, "bias"], abs=1e-9)
        assert got["brier"] == pytest.approx(table.loc[system, "brier"], abs=1e-9)
        assert int(got["wins"]) == bets.wins and int(got["losses"]) == bets.losses
        assert got["hit_rate"] == pytest.approx(bets.hit_rate, abs=1e-9)
        assert got["roi"] == pytest.approx(bets.roi, abs=1e-9)
        assert got["close_mae"] == pytest.approx(closing.loc[system, "line_mae"], abs=1e-9)
        assert got["mae_on_close_rows"] == pytest.approx(
            closing.loc[system, "mae_on_lined"], abs=1e-9
        )


def test_a_missing_system_is_null_and_labelled_missing(open_loaded: OpenLoaded) -> None:
    warehouse = open_loaded("duckdb")
    target = warehouse.query(
        "SELECT game_id, pitcher_id FROM system_comparison WHERE game_date = @d "
        "AND agreement = 'STRONG' ORDER BY game_id, pitcher_id LIMIT 1",
        {"d": LAST},
    ).iloc[0]
    key = {"g": str(target["game_id"]), "p": int(target["pitcher_id"])}
    warehouse.execute(
        "DELETE FROM pitcher_strikeout_predictions WHERE game_id = @g AND pitcher_id = @p "
        "AND system_id = 'v1_baseline'",
        key,
    )
    rows = warehouse.query(
        "SELECT * FROM system_comparison WHERE game_id = @g AND pitcher_id = @p", key
    ).set_index("system_id")
    assert sorted(rows.index) == ["ensemble_v1", "v1_6_rolling", "v1_baseline"]
    row = rows.loc["v1_baseline"]
    assert pd.isna(row["predicted_strikeouts"]) and pd.isna(row["confidence"])
    assert row["state"] == "missing" and rows.loc["v1_6_rolling", "state"] == "ok"
    assert row["systems_missing"] == "v1_baseline"
    assert (row["systems_present"], row["systems_expected"]) == (2, 3)
    assert row["agreement"] == "SINGLE" and pd.isna(row["spread"])  # never "disagree"
    day = warehouse.query("SELECT * FROM daily_coverage WHERE game_date = @d", {"d": LAST}).iloc[0]
    assert (day["min_systems"], day["incomplete_pitcher_games"]) == (2, 1)


def test_a_date_without_ensemble_rows_expects_only_the_systems(open_loaded: OpenLoaded) -> None:
    """Rollout phases 1-2 write no ensemble row: their dates are complete without one."""
    warehouse = open_loaded("duckdb")
    warehouse.execute(
        "DELETE FROM pitcher_strikeout_predictions WHERE game_date = @d "
        "AND system_id = 'ensemble_v1'",
        {"d": LAST},
    )
    day = warehouse.query("SELECT * FROM daily_coverage WHERE game_date = @d", {"d": LAST}).iloc[0]
    assert (day["min_systems"], day["max_systems"], day["expected_systems"]) == (2, 2, 2)
    assert day["incomplete_pitcher_games"] == 0
    earlier = warehouse.query(
        "SELECT expected_systems FROM daily_coverage WHERE game_date = @d", {"d": FIRST}
    )
    assert earlier["expected_systems"].tolist() == [3]


def _one_call(warehouse: Warehouse) -> dict[str, object]:
    row = warehouse.query(
        "SELECT game_id, pitcher_id, actual_strikeouts FROM graded_predictions "
        "WHERE system_id = 'ensemble_v1' AND bet_result IN ('WIN', 'LOSS') AND game_date = @d "
        "ORDER BY game_id, pitcher_id LIMIT 1",
        {"d": LAST},
    ).iloc[0]
    return {
        "g": str(row["game_id"]),
        "p": int(row["pitcher_id"]),
        "k": float(row["actual_strikeouts"]),
    }


def test_a_push_is_neither_won_nor_lost_and_returns_the_stake(open_loaded: OpenLoaded) -> None:
    warehouse = open_loaded("duckdb")
    before = rollup(warehouse, "system_performance", LAST, LAST).set_index("system_id")
    call = _one_call(warehouse)
    warehouse.execute(
        "UPDATE pitcher_strikeout_predictions SET line = @k WHERE game_id = @g AND pitcher_id = @p "
        "AND system_id = 'ensemble_v1'",
        call,
    )
    after = rollup(warehouse, "system_performance", LAST, LAST).set_index("system_id")
    b, a = before.loc["ensemble_v1"], after.loc["ensemble_v1"]
    assert a["pushes"] == b["pushes"] + 1
    assert a["wins"] + a["losses"] == b["wins"] + b["losses"] - 1
    assert a["hit_rate"] == pytest.approx(a["wins"] / (a["wins"] + a["losses"]))
    assert a["roi"] == pytest.approx(a["profit"] / (a["wins"] + a["losses"] + a["pushes"]))


def test_a_pitcher_who_did_not_start_is_void_not_lost(open_loaded: OpenLoaded) -> None:
    warehouse = open_loaded("duckdb")
    call = _one_call(warehouse)
    del call["k"]
    warehouse.execute("DELETE FROM pitcher_starts WHERE game_id = @g AND pitcher_id = @p", call)
    row = warehouse.query(
        "SELECT bet_result, bet_profit, grade_status FROM graded_predictions "
        "WHERE game_id = @g AND pitcher_id = @p AND system_id = 'ensemble_v1'",
        call,
    ).iloc[0]
    assert (row["bet_result"], row["bet_profit"], row["grade_status"]) == ("VOID", 0.0, "void")
    perf = rollup(warehouse, "system_performance", LAST, LAST).set_index("system_id")
    assert perf.loc["ensemble_v1", "voids"] == 1


def test_bigquery_views_name_their_tables_with_the_dataset() -> None:
    sql = view_sql("daily_coverage", "proj.ds")
    assert "CREATE OR REPLACE VIEW `proj.ds.daily_coverage` AS" in sql
    assert "FROM `proj.ds.system_comparison`" in sql and "FROM `proj.ds.dead_letters`" in sql
    assert "FROM per_date" in sql  # CTE names stay as they are
    assert "AS `proj.ds" not in sql.split("AS\n", 1)[1]  # column aliases untouched


@pytest.mark.parametrize(
    "backend", ["duckdb", pytest.param("bigquery", marks=pytest.mark.emulator)]
)
def test_a_graded_row_takes_its_outcome_from_prediction_grades(
    open_loaded: OpenLoaded, backend: str
) -> None:
    """The results intake's grades win over pitcher_starts: a corrected count, a postponement."""
    warehouse = open_loaded(backend)
    graded = _graded(warehouse)
    called = graded[graded["recommendation"].isin(["OVER", "UNDER"]) & graded["line"].notna()]
    called = called[called["over_odds"].notna() & called["under_odds"].notna()]
    corrected, postponed = called.iloc[0], called.iloc[1]
    grade = {"graded_at": pd.Timestamp("2025-06-20T00:00:00Z"), "started": True}
    rows = [
        {**_key(corrected), **grade, "game_state": "final",
         "actual_strikeouts": int(corrected["actual_strikeouts"]) + 3, "bet_result": "WIN"},
        {**_key(postponed), **grade, "game_state": "postponed", "started": False,
         "actual_strikeouts": None, "bet_result": "VOID"},
    ]  # fmt: skip
    warehouse.merge("prediction_grades", pd.DataFrame(rows))
    after = _graded(warehouse).set_index(["run_id", "game_id", "pitcher_id", "system_id"])
    one = after.loc[
        tuple(_key(corrected)[k] for k in ("run_id", "game_id", "pitcher_id", "system_id"))
    ]
    two = after.loc[
        tuple(_key(postponed)[k] for k in ("run_id", "game_id", "pitcher_id", "system_id"))
    ]
    assert one["actual_strikeouts"] == corrected["actual_strikeouts"] + 3
    assert (two["grade_status"], two["bet_result"]) == ("void", "VOID")
    assert pd.isna(two["error"])
    untouched = after.drop(index=[one.name, two.name])
    assert len(untouched) == len(graded) - 2
    assert untouched["actual_strikeouts"].notna().sum() > 0


def _key(row: pd.Series) -> dict[str, object]:
    return {
        "run_id": row["run_id"],
        "game_id": row["game_id"],
        "pitcher_id": int(row["pitcher_id"]),
        "system_id": row["system_id"],
        "game_date": pd.Timestamp(row["game_date"]).date(),
    }
