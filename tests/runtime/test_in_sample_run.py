"""An embedded run of a date before its champions' training end (the runtime champions were fitted
on starts before DAY, 2025-07-18): every row records that train_end, the views flag the rows in
sample, and ``monitor`` and ``report`` say so and leave them out of accuracy unless asked."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from strikeouts.cli import app
from strikeouts.warehouse.duckdb_backend import DuckDBWarehouse

from .conftest import DAY

pytestmark = pytest.mark.data

DATE = "2025-07-04"  # before DAY: the champions saw this date's starts


def test_a_run_before_the_champions_train_end_is_flagged_counted_and_left_out(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    runner = CliRunner()
    run = runner.invoke(app, ["run", "--date", DATE, "--run-id", "insample"], env=cli_env)
    assert run.exit_code == 0, run.output
    assert "not out of sample" in " ".join(run.output.split())  # the run's own warning

    warehouse = DuckDBWarehouse(Path(cli_env["STRIKEOUTS_WAREHOUSE"]))
    try:
        rows = warehouse.query(
            "SELECT system_id, predicted_strikeouts, train_end FROM pitcher_strikeout_predictions "
            "WHERE run_id = 'insample'"
        )
    finally:
        warehouse.close()
    answered = rows[rows["predicted_strikeouts"].notna()]
    assert len(answered) > 0 and "ensemble_v1" in set(answered["system_id"])
    assert {pd.Timestamp(d).date() for d in answered["train_end"]} == {DAY}
    # the rows that say (an error or an empty fallback knows no model): each one in sample
    flagged = int(rows["train_end"].notna().sum())
    assert flagged >= len(answered)

    args = ["monitor", "--date", DATE, "--format", "json", "--check", "in_sample_rows"]
    monitor = runner.invoke(app, args, env=cli_env)
    assert monitor.exit_code == 0, monitor.output  # an info check: reported, not fatal
    (result,) = json.loads(monitor.stdout)
    assert (result["status"], result["severity"]) == ("fail", "info")
    assert result["value"] == flagged
    assert f"fitted before {DAY}" in result["detail"]
    assert "excluded from accuracy" in result["detail"]
    included = runner.invoke(app, [*args, "--include-in-sample"], env=cli_env)
    assert "INCLUDED" in json.loads(included.stdout)[0]["detail"]

    out = tmp_path / "report"
    report = runner.invoke(
        app, ["report", "--start", DATE, "--end", DATE, "--out", str(out)], env=cli_env
    )
    assert report.exit_code == 0, report.output
    page = (out / f"report_{DATE}_{DATE}.html").read_text()
    assert f"{flagged} row(s) in sample" in page
    assert "excluded from accuracy, calibration and ROI" in page
