"""`strikeouts deploy validate` on the local stack (the session's stack, tests/cloud/
stack_session.py): it passes after a normal run of a real date, and fails naming the check
when a system function is down, when a system's rows are missing, or on a dead letter.

The scenarios share one date's run (published once by the module fixture); the one that
deletes rows runs last, and every scenario puts back what it stopped.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from strikeouts.cli import app
from strikeouts.cloud.bigquery_warehouse import BigQueryWarehouse
from strikeouts.cloud.publish import publish_schedule
from strikeouts.cloud.pubsub import PubSubPublisher
from strikeouts.cloud.staging import StagingMerger
from strikeouts.deploy.checks import CHECK_NAMES
from strikeouts.devstack.stack import StackInfo
from strikeouts.devstack.stack_control import restart_function, stop_function
from strikeouts.monitoring.views import ensure_views
from strikeouts.settings import Settings

from .stack_session import event_for, rows_of, starters, wait_for

pytestmark = [pytest.mark.emulator, pytest.mark.slow, pytest.mark.data]

DAY = dt.date(2025, 6, 20)
RUN_ID = "deploy-validate"
CANARY_DAY = dt.date(2025, 6, 21)


@pytest.fixture(scope="module")
def validated_day(
    info: StackInfo,
    cloud: BigQueryWarehouse,
    merger: StagingMerger,
    publisher: PubSubPublisher,
) -> Iterator[str]:
    """A normal run of DAY, complete and merged, and the views Terraform would create; yields
    the time it started (the dead letters of other scenarios came before it)."""
    started = dt.datetime.now(dt.UTC).isoformat()
    ensure_views(cloud)
    event = event_for(info, DAY, RUN_ID, dt.datetime.now(dt.UTC))
    n = starters(event)
    publish_schedule(publisher, event)
    wait_for(
        f"{3 * n} rows of {RUN_ID}",
        lambda: len(rows_of(cloud, RUN_ID, merger)) >= 3 * n,
    )
    yield started


def validate(stack_settings: Settings, since: str, *extra: str) -> Any:
    env = {"STRIKEOUTS_STATE_DIR": str(stack_settings.state_dir), "COLUMNS": "240"}
    args = ["deploy", "validate", "--date", DAY.isoformat(), "--since", since, *extra]
    return CliRunner().invoke(app, args, env=env)


def verdict(result: Any) -> str:
    return result.output.strip().splitlines()[-1]


def test_validate_passes_after_a_normal_run(stack_settings: Settings, validated_day: str) -> None:
    result = validate(stack_settings, validated_day, "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["passed"] and report["failed"] == []
    assert [c["check"] for c in report["checks"]] == list(CHECK_NAMES)
    assert all(c["passed"] for c in report["checks"]), report


def test_a_stopped_system_function_fails_functions_deployed(
    stack_settings: Settings, validated_day: str
) -> None:
    stop_function(stack_settings, "predict_v1_6_rolling")
    try:
        result = validate(stack_settings, validated_day)
    finally:
        restart_function(stack_settings, "predict_v1_6_rolling")
    assert result.exit_code == 1, result.output
    assert verdict(result) == "FAILED (stack): functions_deployed"
    assert "predict_v1_6_rolling (pid" in result.output


def test_a_dead_letter_since_the_deploy_fails_dead_letters(
    stack_settings: Settings, info: StackInfo, validated_day: str
) -> None:
    marker = f"deploy-dl-{uuid.uuid4().hex[:8]}"
    _dead_letter(info, marker)
    try:
        result = validate(stack_settings, validated_day)
    finally:
        _consume(info, marker)
    assert result.exit_code == 1, result.output
    assert verdict(result) == "FAILED (stack): dead_letters"
    assert "predict_v1_baseline on pitcher-games: InjectedFault" in result.output


def test_canary_then_validate_is_the_cloud_build_smoke(
    stack_settings: Settings, validated_day: str
) -> None:
    env = {"STRIKEOUTS_STATE_DIR": str(stack_settings.state_dir)}
    since = dt.datetime.now(dt.UTC).isoformat()
    args = ["deploy", "canary", "--date", CANARY_DAY.isoformat(), "--backend", "stack"]
    args += ["--tick-every", "5"]  # the stack has no scheduler; the cloud default is 60 s
    canary = CliRunner().invoke(app, [*args, "--timeout", "120"], env=env)
    assert canary.exit_code == 0, canary.output
    run_id, counts = canary.output.strip().splitlines()[-1].split(": ")
    assert run_id.startswith(f"canary canary-{CANARY_DAY}-")
    done, _, wanted = counts.split(" rows")[0].partition(" of ")
    assert done == wanted and int(wanted) > 0
    args = ["deploy", "validate", "--date", CANARY_DAY.isoformat(), "--since", since]
    result = CliRunner().invoke(app, args, env={**env, "COLUMNS": "240"})
    assert result.exit_code == 0, result.output
    assert run_id.removeprefix("canary ") in result.output  # coverage judged the canary run


def test_seed_loads_an_empty_warehouse_and_trains_missing_champions_once(
    info: StackInfo, tmp_path: Path
) -> None:
    dataset = f"seed_{uuid.uuid4().hex[:8]}"
    env = {
        "STRIKEOUTS_WAREHOUSE": f"bigquery://{info.project}/{dataset}",
        "STRIKEOUTS_BIGQUERY_ENDPOINT": info.bigquery_endpoint,
        "STRIKEOUTS_MODEL_STORE": str(tmp_path / "models"),
        "STRIKEOUTS_STATE_DIR": str(tmp_path / "state"),
    }
    args = ["deploy", "seed", "--backend", "cloud", "--train-end", "2024-06-01"]
    first = CliRunner().invoke(app, args, env=env)
    assert first.exit_code == 0, first.output
    assert "loaded players" in first.output and "pitcher_starts" in first.output
    assert "trained champion v1_baseline v0001" in first.output
    assert "trained champion v1_6_rolling v0001" in first.output
    again = CliRunner().invoke(app, args, env=env)
    assert again.exit_code == 0, again.output
    assert "warehouse already loaded" in again.output
    assert "champion v1_baseline v0001 present" in again.output
    assert "trained" not in again.output


def test_a_system_s_missing_rows_fail_coverage(
    stack_settings: Settings, cloud: BigQueryWarehouse, validated_day: str
) -> None:
    cloud.execute(
        "DELETE FROM pitcher_strikeout_predictions WHERE game_date = @d AND system_id = @s",
        {"d": DAY, "s": "v1_6_rolling"},
    )
    result = validate(stack_settings, validated_day)
    assert result.exit_code == 1, result.output
    failed = verdict(result).removeprefix("FAILED (stack): ").split(", ")
    assert "coverage" in failed and "functions_deployed" not in failed
    assert "silent: v1_6_rolling" in result.output


def _dead_letter(info: StackInfo, marker: str) -> None:
    """What a function publishes after its last failed attempt (pipeline delivery)."""
    publisher = PubSubPublisher.from_settings(info.settings())
    attributes = {
        "source_topic": "pitcher-games",
        "source_function": "predict_v1_baseline",
        "dead_letter_reason": "InjectedFault: a deploy drill",
        "delivery_attempts": "5",
        "run_id": marker,
    }
    publisher.publish_raw("dead-letter", b"{}", attributes)
    publisher.flush()


def _consume(info: StackInfo, marker: str) -> None:
    """Acknowledge the drill's dead letter so later scenarios see none."""
    from google.cloud.pubsub_v1 import SubscriberClient

    subscriber = SubscriberClient()
    path = subscriber.subscription_path(info.project, "dead-letter-inspect")
    try:
        for _ in range(10):
            response = subscriber.pull(
                request={"subscription": path, "max_messages": 100}, timeout=3.0, retry=None
            )
            mine = [
                m.ack_id
                for m in response.received_messages
                if m.message.attributes.get("run_id") == marker
            ]
            others = [m.ack_id for m in response.received_messages if m.ack_id not in mine]
            if others:
                subscriber.modify_ack_deadline(
                    request={"subscription": path, "ack_ids": others, "ack_deadline_seconds": 0}
                )
            if mine:
                subscriber.acknowledge(request={"subscription": path, "ack_ids": mine})
                return
    finally:
        subscriber.close()
