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
from strikeouts.models.systems import SYSTEMS
from strikeouts.pipeline.config import PipelineConfig
from strikeouts.pipeline.ensemble import base_weights, member_weights
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
    systems = {*SYSTEMS, ENSEMBLE_ID, NAIVE_ID}
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
    config = PipelineConfig()
    weights = member_weights(base_weights(list(SYSTEMS), config), list(SYSTEMS), config)
    assert weights[str(config.pick_system)] == 1.0  # the pick answers every start here
    expected = sum(w * wide[s] for s, w in weights.items())
    np.testing.assert_allclose(wide[ENSEMBLE_ID], expected, rtol=1e-12)


def test_every_row_has_the_median_of_its_law_and_p_over_at_both_lines(rows: pd.DataFrame) -> None:
    systems = rows[rows["system_id"].isin([*SYSTEMS, ENSEMBLE_ID])]
    assert systems["predicted_median"].notna().all()
    lined = systems[systems["line"].notna() & systems["open_line"].notna()]
    assert lined["p_over"].between(0, 1).all() and lined["p_over_open"].between(0, 1).all()
    market = lined[lined["system_id"] == "v2_market"]
    market = market[market["train_end"] == market["train_end"].min()]
    assert len(market) > 50
    # before 300 lined starts exist (the first week), v2_market is the de-vigged opening market
    np.testing.assert_allclose(market["p_over_open"], market["market_p_over_open"], atol=1e-5)
    np.testing.assert_allclose(market["predicted_strikeouts"], market["market_mean"], rtol=1e-5)


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
                   "predicted_strikeouts", "predicted_median", "p_over", "p_over_open", "line",
                   "actual_strikeouts"):  # fmt: skip
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
    assert set(last["system_id"]) == {f"{s}@last" for s in [*SYSTEMS, "ensemble_v1"]}
    keys = ["game_id", "pitcher_id"]
    assert set(map(tuple, first[keys].values)) == set(map(tuple, last[keys].values))
    lined = last[last["line"].notna()]
    # the last pre-game snapshot is the close: the features saw exactly the line scored against
    assert (lined["open_line"] == lined["line"]).all()
    moved = first[first["line"].notna() & (first["open_line"] != first["line"])]
    assert len(moved) > 0  # in the morning some lines were still to move
    table, _ = summarize(rows)
    assert {"v1_6_rolling", "v1_6_rolling@last"} <= set(table["system_id"])
