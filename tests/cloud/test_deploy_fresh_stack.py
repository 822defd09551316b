"""Issue 20 item 11: right after `stack up` (the session's stack, before any other scenario
touches it), `schedule --date 2025-07-04 --backend stack` then `deploy validate --date 2025-07-04`
passes every check: the stack made the tables and views as Terraform would (nobody creates a
view by hand here). A date never published fails, naming `coverage`.

This module runs before the other stack scenarios (file order), which create views themselves.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from typer.testing import CliRunner

from strikeouts.cli import app
from strikeouts.cloud.bigquery_warehouse import BigQueryWarehouse
from strikeouts.cloud.staging import StagingMerger
from strikeouts.deploy.checks import CHECK_NAMES
from strikeouts.settings import Settings

from .stack_session import ROWS_PER_START, rows_of, wait_for

pytestmark = [pytest.mark.emulator, pytest.mark.slow, pytest.mark.data]

DAY = dt.date(2025, 7, 4)
NEVER_PUBLISHED = dt.date(2025, 7, 5)
RUN_ID = "fresh-stack-0704"


def cli(stack_settings: Settings, *args: str) -> Any:
    env = {"STRIKEOUTS_STATE_DIR": str(stack_settings.state_dir), "COLUMNS": "240"}
    return CliRunner().invoke(app, list(args), env=env)


def test_a_fresh_stack_validates_a_published_date_and_fails_coverage_on_another(
    stack_settings: Settings, cloud: BigQueryWarehouse, merger: StagingMerger
) -> None:
    published = cli(
        stack_settings,
        "schedule",
        "--date",
        DAY.isoformat(),
        "--backend",
        "stack",
        "--run-id",
        RUN_ID,
    )
    assert published.exit_code == 0, published.output
    # the stack's tick stand-in: merge until the run's rows are final (30 starters)
    expected = ROWS_PER_START * 30
    wait_for(f"rows of {RUN_ID}", lambda: len(rows_of(cloud, RUN_ID, merger)) >= expected)

    passed = cli(
        stack_settings, "deploy", "validate", "--date", DAY.isoformat(), "--format", "json"
    )
    assert passed.exit_code == 0, passed.output
    report = json.loads(passed.output)
    assert [c["check"] for c in report["checks"]] == list(CHECK_NAMES)
    assert all(c["passed"] for c in report["checks"]), report

    other = cli(
        stack_settings,
        "deploy",
        "validate",
        "--date",
        NEVER_PUBLISHED.isoformat(),
        "--format",
        "json",
    )
    assert other.exit_code == 1, other.output
    failed = json.loads(other.output)["failed"]
    assert "coverage" in failed and "views" not in failed and "schemas" not in failed
