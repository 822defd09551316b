"""``strikeouts run`` / ``replay`` through typer's CliRunner: a real date, and bad arguments."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from typer.testing import CliRunner

from strikeouts.cli import app
from strikeouts.models.systems import SYSTEMS

from .conftest import DAY

pytestmark = pytest.mark.data

ROWS = 30 * (len(SYSTEMS) + 1)  # a row per system and the ensemble for each of DAY's starts


def test_run_prints_the_slate_and_a_rerun_writes_nothing(cli_env: dict[str, str]) -> None:
    runner = CliRunner()
    args = ["run", "--date", DAY.isoformat(), "--run-id", "cli-run"]
    first = runner.invoke(app, args, env=cli_env)
    assert first.exit_code == 0, first.output
    assert f"{ROWS} new rows" in first.output
    assert " nan " not in first.output  # a skipped row shows its status
    assert "30 pitcher-games" in first.output
    assert "v1_baseline" in first.output and "Luis Castillo" in first.output
    assert "v2_market" in first.output and "mean (median)" in first.output
    again = runner.invoke(app, args, env=cli_env)
    assert again.exit_code == 0, again.output
    assert "0 new rows" in again.output


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["run", "--date", "2025-13-01"], "2025-13-01"),
        (["run", "--date", "2025-07-15"], "2025-07-15"),  # All-Star break: no games
        (["replay", "--start", "2025-07-20", "--end", "2025-07-18"], "2025-07-18"),
        (["replay", "--start", "2025-07-20", "--end", "July"], "July"),
    ],
)
def test_bad_arguments_give_one_red_line_and_exit_2(
    cli_env: dict[str, str], args: list[str], named: str
) -> None:
    result = CliRunner().invoke(app, args, env=cli_env)
    assert result.exit_code == 2, result.output
    assert "error" in result.output.lower() and named in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


BAD = "2025-07-20x"


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["run", "--date", BAD], "--date"),
        (["replay", "--start", BAD, "--end", "2025-07-21"], "--start"),
        (["train", "--system", "v1_baseline", "--train-end", BAD], "--train-end"),
        (
            ["backtest", "--start", "2025-07-20", "--end", BAD, "--predictions-out", "x.csv"],
            "--end",
        ),
        (["stack", "up", "--train-end", BAD], "--train-end"),
        (["schedule", "--date", BAD, "--backend", "stack"], "--date"),
    ],
)
def test_every_date_option_rejects_a_bad_date_the_same_way(
    cli_env: dict[str, str], args: list[str], option: str
) -> None:
    result = CliRunner().invoke(app, args, env=cli_env)
    assert result.exit_code == 2, result.output
    text = " ".join(result.output.split())  # the error box wraps lines
    assert f"Invalid value for '{option}'" in text, result.output
    assert f"'{BAD}' is not a date (expected YYYY-MM-DD)" in text, result.output


@pytest.mark.parametrize(
    ("args", "expected"),
    [([], dt.date(2025, 3, 1)), (["--train-end", "2024-03-01"], dt.date(2024, 3, 1))],
)
def test_stack_up_passes_its_train_end_default_or_given(
    cli_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    expected: dt.date,
) -> None:
    """Typer hands a date option's default to the parser too: it must come through as a date."""
    import strikeouts.devstack.stack as stack
    from strikeouts.devstack.stack import StackError

    seen: dict[str, object] = {}

    def fake_stack_up(settings: object, **kwargs: object) -> None:
        seen.update(kwargs)
        raise StackError("not starting anything in this test")

    monkeypatch.setattr(stack, "stack_up", fake_stack_up)
    result = CliRunner().invoke(app, ["stack", "up", *args], env=cli_env)
    assert result.exit_code == 2, result.output
    assert "not starting anything" in result.output
    assert seen["train_end"] == expected


def _copy_sources(source: Path, target: Path) -> Path:
    """Another warehouse with the same source tables and no predictions."""
    from strikeouts.warehouse.duckdb_backend import DuckDBWarehouse

    from .conftest import SOURCE_TABLES

    src, dst = DuckDBWarehouse(source), DuckDBWarehouse(target)
    try:
        for table in SOURCE_TABLES:
            dst.replace_table(table, src.query(f"SELECT * FROM {table}"))
    finally:
        src.close()
        dst.close()
    return target


def _prediction_keys(path: Path, run_id: str) -> set[tuple[str, int, str]]:
    from strikeouts.warehouse.duckdb_backend import DuckDBWarehouse

    wh = DuckDBWarehouse(path)
    try:
        rows = wh.query(
            "SELECT game_id, pitcher_id, system_id FROM pitcher_strikeout_predictions "
            "WHERE run_id = @r",
            {"r": run_id},
        )
    finally:
        wh.close()
    return set(map(tuple, rows.to_numpy().tolist()))


def test_lost_rows_are_restored_another_warehouse_filled_and_complete_rows_left_alone(
    cli_env: dict[str, str], warehouse_path: Path, tmp_path: Path
) -> None:
    """The issue's session, line by line, on the embedded default."""
    from strikeouts.warehouse.duckdb_backend import DuckDBWarehouse

    runner = CliRunner()
    args = ["run", "--date", DAY.isoformat(), "--run-id", "restore-r1"]
    first = runner.invoke(app, args, env=cli_env)
    assert first.exit_code == 0, first.output
    assert f"{ROWS} new rows" in first.output
    assert " nan " not in first.output  # a skipped row shows its status
    keys = _prediction_keys(warehouse_path, "restore-r1")
    assert len(keys) == ROWS

    wh = DuckDBWarehouse(warehouse_path)  # the rows are lost; the aggregation state is not
    wh.execute("DELETE FROM pitcher_strikeout_predictions WHERE run_id = 'restore-r1'")
    wh.close()
    restored = runner.invoke(app, args, env=cli_env)
    assert restored.exit_code == 0, restored.output
    assert f"{ROWS} new rows ({ROWS} restored" in " ".join(restored.output.split())
    assert _prediction_keys(warehouse_path, "restore-r1") == keys

    again = runner.invoke(app, args, env=cli_env)
    assert again.exit_code == 0, again.output
    assert f"0 new rows, {ROWS} rows already present" in " ".join(again.output.split())

    other = _copy_sources(warehouse_path, tmp_path / "other.duckdb")
    elsewhere = runner.invoke(app, [*args, "--warehouse", str(other)], env=cli_env)
    assert elsewhere.exit_code == 0, elsewhere.output
    assert f"{ROWS} new rows ({ROWS} restored" in " ".join(elsewhere.output.split())
    assert _prediction_keys(other, "restore-r1") == keys
