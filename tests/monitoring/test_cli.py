"""``strikeouts monitor``: a table or JSON, exit 1 naming failed critical checks, exit 2 on bad
arguments (one red line, no traceback)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from strikeouts.cli import app
from strikeouts.warehouse.duckdb_backend import DuckDBWarehouse

from .conftest import LAST, VIEW_SYSTEMS, Rows, load

pytestmark = pytest.mark.data


@pytest.fixture
def warehouse_file(tmp_path: Path, replayed_rows: Rows, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "warehouse.duckdb"
    load(DuckDBWarehouse(path), replayed_rows).close()
    monkeypatch.setenv("STRIKEOUTS_MONITOR_MIN_SAMPLE", "40")
    return path


def _monitor(path: Path, *args: str) -> tuple[int, str, str]:
    # the replayed week's two systems are the expected ones
    env = {"STRIKEOUTS_PIPELINE_EXPECTED_SYSTEMS": json.dumps(list(VIEW_SYSTEMS))}
    result = CliRunner().invoke(app, ["monitor", "--warehouse", str(path), *args], env=env)
    return result.exit_code, result.stdout, result.stderr


def test_clean_date_exits_0_with_every_check_in_json(warehouse_file: Path) -> None:
    code, out, _ = _monitor(
        warehouse_file, "--date", str(LAST), "--window", "7", "--format", "json"
    )
    assert code == 0
    results = json.loads(out)
    assert len(results) == 25 and {r["status"] for r in results} <= {"pass", "skipped"}


def test_a_silent_system_exits_1_naming_the_failed_checks(warehouse_file: Path) -> None:
    store = DuckDBWarehouse(warehouse_file)
    store.execute(
        "DELETE FROM pitcher_strikeout_predictions WHERE game_date = @d AND system_id = 'ensemble_v1'",
        {"d": LAST},
    )
    store.close()
    code, out, err = _monitor(warehouse_file, "--date", str(LAST))
    assert code == 1
    assert "system_silent" in out and "fail" in out  # the table
    assert "critical check(s) failed" in err and "system_silent" in err


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--date", "2025-13-01"], "2025-13-01"),
        (["--date", str(LAST), "--window", "0"], "--window 0"),
        (["--date", str(LAST), "--check", "no_such_check"], "no_such_check"),
        (["--date", str(LAST), "--format", "xml"], "xml"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(
    warehouse_file: Path, args: list[str], named: str
) -> None:
    code, out, err = _monitor(warehouse_file, *args)
    assert code == 2
    text = out + err
    assert named in text and "Traceback" not in text


def test_report_rejects_an_end_before_the_start(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["report", "--start", "2025-06-10", "--end", "2025-06-01", "--out", str(tmp_path)]
    )
    assert result.exit_code == 2 and "before --start" in result.stdout
