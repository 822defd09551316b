"""The walk-forward backtest on real starts: no model sees its period, outputs are honest."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from strikeouts.backtest.walkforward import (
    ENSEMBLE_ID,
    NAIVE_ID,
    BacktestError,
    periods,
    walk_forward,
)
from strikeouts.cli import app
from strikeouts.evaluation.metrics import summarize
from strikeouts.warehouse.base import Warehouse

START, END = dt.date(2025, 6, 1), dt.date(2025, 6, 21)


@pytest.fixture(scope="module")
def rows(ingested: Warehouse) -> pd.DataFrame:
    return walk_forward(ingested, START, END, retrain="weekly")


def test_periods_cover_the_range_without_gaps() -> None:
    got = periods(dt.date(2025, 6, 15), dt.date(2025, 8, 10), "monthly")
    assert [(p.start, p.end) for p in got] == [
        (dt.date(2025, 6, 15), dt.date(2025, 6, 30)),
        (dt.date(2025, 7, 1), dt.date(2025, 7, 31)),
        (dt.date(2025, 8, 1), dt.date(2025, 8, 10)),
    ]
    with pytest.raises(BacktestError, match="before --start"):
        periods(END, START, "monthly")


def test_one_row_per_start_and_system_and_no_model_sees_its_period(
    rows: pd.DataFrame, ingested: Warehouse
) -> None:
    starts = ingested.query(
        "SELECT COUNT(*) AS n FROM pitcher_starts WHERE game_date BETWEEN @a AND @b",
        {"a": START, "b": END},
    )["n"].iloc[0]
    systems = {"v1_baseline", "v1_6_rolling", ENSEMBLE_ID, NAIVE_ID}
    assert set(rows["system_id"]) == systems
    assert len(rows) == starts * len(systems)
    assert not rows.duplicated(["game_id", "pitcher_id", "system_id"]).any()
    game_dates = pd.to_datetime(rows["game_date"])
    assert (pd.to_datetime(rows["train_end"]) <= game_dates).all()
    assert rows["train_end"].nunique() == 3  # weekly retraining over three weeks


def test_ensemble_is_the_renormalized_weighted_average(rows: pd.DataFrame) -> None:
    wide = rows.pivot_table(
        index=["game_id", "pitcher_id"], columns="system_id", values="predicted_strikeouts"
    )
    expected = (0.3 * wide["v1_baseline"] + 0.5 * wide["v1_6_rolling"]) / 0.8
    np.testing.assert_allclose(wide[ENSEMBLE_ID], expected, rtol=1e-12)


def test_summary_compares_with_the_closing_line_and_naive(rows: pd.DataFrame) -> None:
    table, summary = summarize(rows)
    by = table.set_index("system_id")
    lined = rows[(rows["system_id"] == "v1_6_rolling") & rows["line"].notna()]
    line_mae = float(np.mean(np.abs(lined["line"] - lined["actual_strikeouts"])))
    assert by.loc["v1_6_rolling", "line_mae"] == pytest.approx(line_mae)
    assert by.loc["v1_6_rolling", "n_with_line"] == len(lined) > 300
    # honest ranges: a model far better than the market here would be a leak
    assert 1.4 < by.loc["v1_6_rolling", "mae_on_lined"] < 2.2
    assert by.loc["v1_6_rolling", "mae_on_lined"] > 0.9 * line_mae
    assert 0.2 < by.loc["v1_6_rolling", "brier"] < 0.3
    json.dumps(summary)  # JSON-serialisable


def test_cli_backtest_writes_csv_summary_and_plot(
    ingested: Warehouse, tmp_path, monkeypatch
) -> None:
    monkeypatch.setenv("STRIKEOUTS_WAREHOUSE", str(ingested.path))  # type: ignore[attr-defined]
    out = tmp_path / "bt" / "predictions.csv"
    result = CliRunner().invoke(
        app,
        [
            "backtest",
            "--start",
            "2025-06-01",
            "--end",
            "2025-06-07",
            "--retrain",
            "once",
            "--predictions-out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out)
    for column in ("game_date", "game_id", "pitcher_id", "pitcher_name", "system_id",
                   "predicted_strikeouts", "p_over", "line", "actual_strikeouts"):  # fmt: skip
        assert column in frame.columns
    assert json.loads(out.with_suffix(".summary.json").read_text())["systems"]
    assert out.with_suffix(".calibration.png").read_bytes()[:4] == b"\x89PNG"


def test_cli_errors_are_one_clear_line(tmp_path) -> None:
    runner = CliRunner()
    bad = runner.invoke(app, ["train", "--system", "v9", "--train-end", "2025-06-01"])
    assert bad.exit_code == 2 and "unknown system 'v9'" in bad.output
    empty = runner.invoke(
        app,
        [
            "backtest",
            "--start",
            "2030-06-01",
            "--end",
            "2030-06-30",
            "--predictions-out",
            str(tmp_path / "x.csv"),
            "--warehouse",
            str(tmp_path / "empty.duckdb"),
        ],
    )
    assert empty.exit_code == 2 and "strikeouts ingest" in empty.output


def test_both_line_snapshots_are_scored_on_the_same_starts(ingested: Warehouse) -> None:
    from strikeouts.backtest.walkforward import snapshot_rows

    week = (dt.date(2025, 6, 15), dt.date(2025, 6, 21))
    rows = snapshot_rows(ingested, *week, "once", "both")
    first = rows[~rows["system_id"].str.endswith("@last")]
    last = rows[rows["system_id"].str.endswith("@last")]
    assert set(last["system_id"]) == {"v1_baseline@last", "v1_6_rolling@last", "ensemble_v1@last"}
    keys = ["game_id", "pitcher_id"]
    assert set(map(tuple, first[keys].values)) == set(map(tuple, last[keys].values))
    lined = last[last["line"].notna()]
    # the last pre-game snapshot is the close: the features saw exactly the line scored against
    assert (lined["open_line"] == lined["line"]).all()
    moved = first[first["line"].notna() & (first["open_line"] != first["line"])]
    assert len(moved) > 0  # in the morning some lines were still to move
    table, _ = summarize(rows)
    assert {"v1_6_rolling", "v1_6_rolling@last"} <= set(table["system_id"])
