"""One error base class carrying the exit code, and one boundary turning any error into one
red line: exit 2 for bad input, 1 for a failed check, never a traceback."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

import strikeouts
from strikeouts.cli import app
from strikeouts.cli.app import describe
from strikeouts.errors import CheckFailed, StrikeoutsError
from strikeouts.warehouse.base import WarehouseError


def _exception_classes() -> list[type[BaseException]]:
    found = []
    for info in pkgutil.walk_packages(strikeouts.__path__, "strikeouts."):
        module = importlib.import_module(info.name)
        for obj in vars(module).values():
            if (
                inspect.isclass(obj)
                and issubclass(obj, BaseException)
                and obj.__module__ == module.__name__
            ):
                found.append(obj)
    return found


def test_every_exception_class_of_the_package_derives_from_the_one_base() -> None:
    classes = _exception_classes()
    assert len(classes) >= 30
    assert [c.__qualname__ for c in classes if not issubclass(c, StrikeoutsError)] == []


def test_the_exit_code_comes_from_the_class() -> None:
    assert describe(WarehouseError("no such table")) == (2, "no such table")
    assert describe(CheckFailed("coverage_complete failed"))[0] == 1
    assert describe(FileNotFoundError(2, "No such file", "tf.json"))[0] == 2
    code, line = describe(KeyError("oops"))
    assert code == 1 and line.startswith("unexpected KeyError") and "-v" in line


def test_an_error_in_a_command_is_one_red_line_and_its_exit_code(tmp_path: Path) -> None:
    env = {"STRIKEOUTS_STATE_DIR": str(tmp_path), "COLUMNS": "80"}
    result = CliRunner().invoke(app, ["stack", "down"], env=env)
    assert result.exit_code == 2, result.output
    [line] = result.output.strip().splitlines()
    assert line.startswith("error: no local stack recorded in") and "Traceback" not in line


def test_verbose_keeps_the_traceback(tmp_path: Path) -> None:
    env = {"STRIKEOUTS_STATE_DIR": str(tmp_path)}
    result = CliRunner().invoke(app, ["-v", "stack", "down"], env=env)
    assert result.exit_code == 1
    assert isinstance(result.exception, StrikeoutsError)


@pytest.mark.parametrize("args", [["--help"], ["-v", "--help"]])
def test_the_root_help_names_the_verbose_flag(args: list[str]) -> None:
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0 and "--verbose" in result.output


def test_a_warehouse_that_does_not_exist_is_an_error_and_is_not_created(tmp_path: Path) -> None:
    typo = tmp_path / "warehuose.duckdb"
    result = CliRunner().invoke(app, ["summary", "--warehouse", str(typo)])
    assert result.exit_code == 2, result.output
    assert f"no warehouse at {typo}" in result.output
    assert "run `strikeouts ingest` first" in " ".join(result.output.split())
    assert not typo.exists()


def test_an_empty_warehouse_says_to_run_ingest_first(tmp_path: Path) -> None:
    import duckdb

    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    env = {"STRIKEOUTS_STATE_DIR": str(tmp_path), "STRIKEOUTS_MODEL_STORE": str(tmp_path / "m")}
    for args in (["summary"], ["run", "--date", "2025-07-04"]):
        result = CliRunner().invoke(app, [*args, "--warehouse", str(empty)], env=env)
        assert result.exit_code == 2, result.output
        [line] = result.output.strip().splitlines()
        assert "run `strikeouts ingest` first" in line, line
