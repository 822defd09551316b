"""`deploy validate` arguments: each bad one is one red line naming it, exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from strikeouts.cli import app


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--backend", "embedded"], "--backend embedded: this command acts on stack or cloud"),
        (["--format", "yaml"], "'yaml' is not one of 'table', 'json'"),
        (["--since", "yesterday"], "--since 'yesterday'"),
        (["--expected-systems", ","], "--expected-systems ','"),
        ([], "no local stack recorded"),
    ],
)
def test_bad_arguments_exit_2_naming_the_value(tmp_path: Path, args: list[str], named: str) -> None:
    env = {"STRIKEOUTS_STATE_DIR": str(tmp_path), "COLUMNS": "200"}
    result = CliRunner().invoke(app, ["deploy", "validate", "--date", "2025-06-20", *args], env=env)
    assert result.exit_code == 2, result.output
    assert named in result.output


def test_a_bad_date_exits_2() -> None:
    result = CliRunner().invoke(app, ["deploy", "validate", "--date", "June"])
    assert result.exit_code == 2
