"""Each deploy check on doubles: it passes on a healthy deployment and fails, naming what it
saw, on the one defect it is there to catch."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd

from strikeouts.deploy import checks
from strikeouts.deploy.checks import CHECK_NAMES, field_problems, run_check, validate
from strikeouts.deploy.expect import Expectation
from strikeouts.deploy.inventory import FunctionState

from .doubles import (
    DAY,
    DEPLOYED_AT,
    SYSTEMS,
    FakeWarehouse,
    deployment,
    healthy_functions,
    run_rows,
)


def test_a_healthy_deployment_passes_every_check_in_order() -> None:
    outcomes = validate(deployment())
    assert [o.check for o in outcomes] == list(CHECK_NAMES)
    assert all(o.passed for o in outcomes), outcomes


def test_functions_deployed_names_the_missing_and_the_not_ready() -> None:
    found = healthy_functions()
    del found["ensemble_tick"]
    found["predict_v1_baseline"] = FunctionState("predict_v1_baseline", False, "FAILED: build")
    outcome = checks.functions_deployed(deployment(functions=found))
    assert not outcome.passed
    assert "missing: ensemble_tick" in outcome.detail
    assert "not ready: predict_v1_baseline (FAILED: build)" in outcome.detail


def test_functions_source_fails_on_another_object_and_without_expected_sources() -> None:
    found = healthy_functions()
    found["fanout"] = dataclasses.replace(found["fanout"], source="functions/fanout-old.zip")
    outcome = checks.functions_source(deployment(functions=found))
    assert not outcome.passed
    assert "fanout runs functions/fanout-old.zip, expected functions/fanout-abc.zip" in (
        outcome.detail
    )
    blind = Expectation(date=DAY, systems=SYSTEMS, ensemble=True)
    assert not checks.functions_source(deployment(expect=blind)).passed


def test_expected_systems_fails_on_an_extra_system_function() -> None:
    phase1 = Expectation(
        date=DAY,
        systems=("v1_baseline",),
        ensemble=False,
        sources={},
    )
    rows = run_rows(("v1_baseline",))
    outcome = checks.expected_systems(deployment(expect=phase1, predictions=rows))
    assert not outcome.passed
    assert "system functions ['v1_6_rolling', 'v1_baseline'] != expected ['v1_baseline']" in (
        outcome.detail
    )


def test_expected_systems_fails_on_ensemble_rows_when_the_ensemble_is_off() -> None:
    off = Expectation(date=DAY, systems=SYSTEMS, ensemble=False)
    outcome = checks.expected_systems(deployment(expect=off))
    assert not outcome.passed and "the newest run has ensemble_v1 rows" in outcome.detail
    on = Expectation(date=DAY, systems=SYSTEMS, ensemble=True)
    outcome = checks.expected_systems(deployment(expect=on, predictions=run_rows(SYSTEMS)))
    assert not outcome.passed and "the newest run lacks ensemble_v1 rows" in outcome.detail


def test_schemas_names_a_missing_table_and_a_missing_column() -> None:
    from .doubles import schema_columns

    columns = schema_columns({"dead_letters": "*", "pitcher_strikeout_predictions": "system_id"})
    outcome = checks.schemas(deployment(columns=columns))
    assert not outcome.passed
    assert "dead_letters missing" in outcome.detail
    assert "pitcher_strikeout_predictions.system_id missing" in outcome.detail


def test_field_problems_sees_type_and_mode_and_accepts_legacy_names() -> None:
    wanted = [
        {"name": "n", "type": "INT64", "mode": "REQUIRED"},
        {"name": "x", "type": "FLOAT64"},
        {
            "name": "r",
            "type": "RECORD",
            "mode": "REPEATED",
            "fields": [{"name": "a", "type": "STRING"}],
        },
    ]
    legacy = [
        {"name": "n", "type": "INTEGER", "mode": "REQUIRED"},
        {"name": "x", "type": "FLOAT", "mode": "NULLABLE"},
        {
            "name": "r",
            "type": "RECORD",
            "mode": "REPEATED",
            "fields": [{"name": "a", "type": "STRING"}],
        },
    ]
    assert field_problems(wanted, legacy) == []
    drifted = [
        {"name": "n", "type": "INTEGER", "mode": "NULLABLE"},
        {"name": "x", "type": "STRING"},
        {"name": "r", "type": "RECORD", "mode": "REPEATED", "fields": []},
    ]
    assert field_problems(wanted, drifted) == [
        "n is INT64/NULLABLE, schema INT64/REQUIRED",
        "x is STRING/NULLABLE, schema FLOAT64/NULLABLE",
        "r.a missing",
    ]


def test_views_names_the_view_that_does_not_query() -> None:
    rows = run_rows((*SYSTEMS, "ensemble_v1"))
    broken = FakeWarehouse(rows, broken_views=("daily_coverage",))
    outcome = checks.views(deployment(warehouse=broken))
    assert not outcome.passed
    assert outcome.detail.startswith("daily_coverage (view daily_coverage not found")


def test_coverage_needs_min_equal_max_equal_the_expected_count() -> None:
    rows = run_rows((*SYSTEMS, "ensemble_v1"))
    # one pitcher-game lost its v1_6_rolling row: min 2, max 3
    holed = rows[~((rows["pitcher_id"] == 1) & (rows["system_id"] == "v1_6_rolling"))]
    outcome = checks.coverage(deployment(predictions=holed))
    assert not outcome.passed
    assert "3 pitcher-games, systems answering per pitcher-game min 2 max 3 of 3" in outcome.detail
    silent = rows[rows["system_id"] != "v1_6_rolling"]
    outcome = checks.coverage(deployment(predictions=silent))
    assert not outcome.passed and "silent: v1_6_rolling" in outcome.detail


def errored(rows: pd.DataFrame, system: str) -> pd.DataFrame:
    """``rows`` with every row of ``system`` an error (what a model that cannot load writes)."""
    broken = rows["system_id"] == system
    return rows.assign(
        answered=~broken,
        reason=rows["reason"].where(~broken, "ModelUnavailable: artifact is corrupt"),
    )


def test_coverage_counts_answers_not_rows() -> None:
    rows = errored(run_rows((*SYSTEMS, "ensemble_v1")), "v1_6_rolling")
    outcome = checks.coverage(deployment(predictions=rows))
    assert not outcome.passed
    assert "min 2 max 2 of 3; silent: v1_6_rolling" in outcome.detail
    assert (
        "unanswered: v1_6_rolling 3 of 3 rows unanswered (ModelUnavailable: artifact is corrupt)"
        in (outcome.detail)
    )


def test_performance_needs_answered_rows_of_every_expected_system() -> None:
    rows = errored(run_rows((*SYSTEMS, "ensemble_v1")), "v1_baseline")
    outcome = checks.performance(deployment(predictions=rows))
    assert not outcome.passed
    assert outcome.detail == "no answered rows for v1_baseline"


def test_coverage_judges_only_the_newest_run() -> None:
    old = run_rows(SYSTEMS, run_id="r1")  # an older, incomplete run (no ensemble)
    old["run_created_at"] = pd.Timestamp("2025-06-20T08:00:00Z")
    rows = pd.concat([old, run_rows((*SYSTEMS, "ensemble_v1"))], ignore_index=True)
    outcome = checks.coverage(deployment(predictions=rows))
    assert outcome.passed and outcome.detail.startswith("run r2:")


def test_coverage_ignores_shadow_challenger_rows() -> None:
    rows = run_rows((*SYSTEMS, "ensemble_v1"))
    shadow = run_rows(("v1_6_rolling",)).assign(model_alias="challenger")
    champions_lost = rows[rows["system_id"] != "v1_6_rolling"]
    outcome = checks.coverage(deployment(predictions=pd.concat([champions_lost, shadow])))
    assert not outcome.passed and "silent: v1_6_rolling" in outcome.detail


def test_coverage_fails_without_rows() -> None:
    empty = run_rows(())
    outcome = checks.coverage(deployment(predictions=empty))
    assert not outcome.passed and outcome.detail == f"no prediction rows for {DAY}"


def test_performance_needs_a_row_per_expected_system() -> None:
    rows = run_rows((*SYSTEMS, "ensemble_v1"))
    partial = pd.DataFrame({"system_id": ["v1_baseline"], "predictions": [3], "answered": [3]})
    outcome = checks.performance(deployment(warehouse=FakeWarehouse(rows, performance=partial)))
    assert not outcome.passed
    assert outcome.detail == "no system_performance rows for ensemble_v1, v1_6_rolling"


def test_dead_letters_count_from_the_deploy_time_unless_since_is_given() -> None:
    seen: list[dt.datetime] = []
    d = deployment(letters=["predict_v1_baseline on pitcher-games: boom"])
    d.dead_letters = lambda since: seen.append(since) or ["x on y: boom"]
    outcome = checks.dead_letters(d)
    assert not outcome.passed and outcome.detail == "1 since 2025-06-20 12:00:00: x on y: boom"
    assert seen == [DEPLOYED_AT]
    later = dt.datetime(2025, 6, 21, tzinfo=dt.UTC)
    d.expect = dataclasses.replace(d.expect, since=later)
    checks.dead_letters(d)
    assert seen[-1] == later
    assert checks.dead_letters(deployment()).passed


def test_a_check_that_raises_fails_with_the_error_named() -> None:
    def broken(_: object) -> None:
        raise RuntimeError("Cloud Functions API: HTTP 403 denied\nmore")

    broken.__name__ = "functions_deployed"
    outcome = run_check(broken, deployment())  # type: ignore[arg-type]
    assert not outcome.passed
    assert outcome.detail == "could not check: Cloud Functions API: HTTP 403 denied"
