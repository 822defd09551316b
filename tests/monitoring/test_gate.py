"""Soak gates (``strikeouts deploy gate``) on the real replayed week: the ensemble's 7 graded
game days open phase 4 on the week's last day and not the day before; a day whose baseline
rows are errors blocks phase 2, naming the check; an unknown phase is a usage error."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from typer.testing import CliRunner

from strikeouts.cli import app
from strikeouts.deploy.gate import gate
from strikeouts.settings import Settings
from strikeouts.warehouse.duckdb_backend import DuckDBWarehouse

from .conftest import LAST, OpenLoaded, Rows, load

pytestmark = pytest.mark.data


def test_seven_graded_days_of_phase_3_open_phase_4_six_do_not(
    open_loaded: OpenLoaded, settings: Settings
) -> None:
    warehouse = open_loaded("duckdb")
    report = gate(warehouse, 4, LAST, settings)
    assert report.passed, report.missing
    assert len(report.days) == 7 and all("critical checks pass" in d for d in report.days)
    early = gate(warehouse, 4, LAST - dt.timedelta(days=1), settings)
    assert not early.passed
    assert early.missing == [
        f"6 of 7 graded game day(s) of phase 3 up to {LAST - dt.timedelta(days=1)}"
    ]


def test_an_erring_day_of_phase_1_blocks_phase_2_naming_the_check(
    open_loaded: OpenLoaded, settings: Settings
) -> None:
    warehouse = open_loaded("duckdb")
    assert gate(warehouse, 2, LAST, settings).passed
    warehouse.execute(
        "UPDATE pitcher_strikeout_predictions SET status = 'error', predicted_strikeouts = NULL, "
        "status_reason = 'ModelUnavailable: corrupt' WHERE game_date = @d "
        "AND system_id = 'v1_baseline'",
        {"d": LAST},
    )
    report = gate(warehouse, 2, LAST, settings)
    assert not report.passed
    assert any(m.startswith(f"{LAST} error_share: 100.0% v1_baseline") for m in report.missing)


def test_the_cli_exits_1_when_blocked_and_2_on_an_unknown_phase(
    tmp_path: Path, replayed_rows: Rows
) -> None:
    path = tmp_path / "warehouse.duckdb"
    load(DuckDBWarehouse(path), replayed_rows).close()
    env = {"STRIKEOUTS_MONITOR_MIN_SAMPLE": "40"}
    args = ["deploy", "gate", "--warehouse", str(path), "--date"]
    passed = CliRunner().invoke(app, [*args, str(LAST), "--phase", "4"], env=env)
    assert passed.exit_code == 0, passed.output
    assert passed.stdout.strip().endswith("PASSED")
    early = str(LAST - dt.timedelta(days=1))
    blocked = CliRunner().invoke(app, [*args, early, "--phase", "4"], env=env)
    assert blocked.exit_code == 1
    assert "missing: 6 of 7 graded game day(s)" in blocked.stdout
    unknown = CliRunner().invoke(app, [*args, str(LAST), "--phase", "5"], env=env)
    assert unknown.exit_code == 2 and "--phase 5" in unknown.output
