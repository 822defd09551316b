"""Issue 20 on the parsed configuration: what a first apply on a fresh project needs, and what
keeps an idle day free. Each test reads infra/ as python-hcl2 parses it."""

from __future__ import annotations

import re
from typing import Any

from .hcl import INFRA, fields, load, locals_of, of_type, unquote


def variable_default(name: str) -> Any:
    for path in sorted(INFRA.glob("*.tf")):
        for block in load(path).get("variable", []):
            for var, body in fields(block).items():
                if unquote(var) == name:
                    return unquote(body.get("default"))
    raise AssertionError(f"no variable {name}")


def test_the_odds_key_has_a_placeholder_version_terraform_never_reverts() -> None:
    """Item 1: Cloud Run refuses a service whose secret version `latest` does not exist, so
    the first version is Terraform's placeholder; the real key, added by hand, is newer."""
    version = of_type("google_secret_manager_secret_version")["odds_api_key_placeholder"]
    assert "google_secret_manager_secret.odds_api_key" in version["secret"]
    ignored = version["lifecycle"][0]["ignore_changes"]
    assert "secret_data" in repr(ignored)
    function = of_type("google_cloudfunctions2_function")["function"]
    assert "google_secret_manager_secret_version.odds_api_key_placeholder" in repr(
        function["depends_on"]
    )
    assert re.search(r"'version': '\"?latest", repr(function["service_config"]))


def test_the_builder_holds_the_documented_build_role_and_pushes_to_its_own_repository() -> None:
    """Item 4: roles/cloudbuild.builds.builder (what Cloud Functions documents for a custom
    build account); the image writer grant is on this module's repository only."""
    builder = of_type("google_project_iam_member")["builder"]
    roles = set(re.findall(r'"(roles/[\w.]+)"', builder["for_each"]))
    assert roles == {"roles/cloudbuild.builds.builder"}
    pushes = of_type("google_artifact_registry_repository_iam_member")["builder_pushes"]
    assert unquote(pushes["role"]) == "roles/artifactregistry.writer"
    assert "google_service_account.builder" in pushes["member"]


def test_function_images_live_in_a_repository_with_a_cleanup_policy() -> None:
    repo = of_type("google_artifact_registry_repository")["functions"]
    assert repo["cleanup_policy_dry_run"] is False
    policies = {unquote(p["action"]): p for p in repo["cleanup_policies"]}
    assert policies["KEEP"]["most_recent_versions"][0]["keep_count"] >= 2  # serving + previous
    assert "older_than" in policies["DELETE"]["condition"][0]
    for name, function in of_type("google_cloudfunctions2_function").items():
        build = function["build_config"][0]
        assert build["docker_repository"] == (
            "${google_artifact_registry_repository.functions.id}"
        ), name


def test_the_tick_runs_only_in_game_hours_and_months() -> None:
    """Item 10: no tick every minute all year; the default spans first schedule run to the
    last final, March to November, in the league's time zone."""
    job = of_type("google_cloud_scheduler_job")["ensemble_tick"]
    assert job["schedule"] == "${var.tick_schedule}"
    assert job["time_zone"] == "${var.league_time_zone}"
    minute, hours, _, months, _ = variable_default("tick_schedule").split()
    assert minute == "*" and hours != "*" and months != "*"
    assert "10-23" in hours and months == "3-11"


def test_no_heartbeat_is_written_and_silence_is_not_the_tick_alert() -> None:
    """Item 10: the tick writes no heartbeat row; an absence alert would fire every night once
    the tick runs only in game hours, so the alert is on ticks waiting unhandled."""
    tick = fields(locals_of()["core_functions"])["ensemble_tick"]
    assert "pipeline_heartbeats" not in repr(tick["writes"])
    policies = of_type("google_monitoring_alert_policy")
    assert not any("condition_absent" in repr(p) for p in policies.values())
    backlog = repr(policies["tick_backlog"])
    assert "oldest_unacked_message_age" in backlog and "ensemble-ticks--ensemble_tick" in backlog


def test_the_default_schedules_fit_in_four_scheduler_jobs() -> None:
    """Item 10: Cloud Scheduler bills per job and month (three free per account): the tick,
    one schedule job with its three runs, the results job and one monitor job with two."""
    schedule, monitor = variable_default("schedule_crons"), variable_default("monitor_schedules")
    assert len(schedule) == len(monitor) == 1
    assert len(unquote(schedule[0]).split()[1].split(",")) == 3
    assert len(unquote(monitor[0]).split()[1].split(",")) == 2


def test_ticks_are_never_dead_lettered_and_expire_quickly() -> None:
    """Item 5: a refused tick push counts as a delivery attempt; ticks carry no data, so the
    tick subscription has no dead-letter policy and keeps a tick 10 minutes at most."""
    push = of_type("google_pubsub_subscription")["push"]
    policy = push["dynamic"][0]['"dead_letter_policy"']
    assert policy["for_each"] == '${each.value.topic == "ensemble_ticks" ? [] : [1]}'
    assert push["message_retention_duration"].startswith(
        '${each.value.topic == "ensemble_ticks" ? "600s"'
    )


def test_the_stack_makes_the_tables_and_views_terraform_makes() -> None:
    """Item 11: `stack up` (strikeouts.cloud.dataset) creates what infra/ creates: the same
    tables (Terraform's rule for table_names is the one deployed_table_names applies) and the
    same views, from the same SQL files."""
    from strikeouts.monitoring.views import VIEWS
    from strikeouts.warehouse.schemas import deployed_table_names

    rule = locals_of()["table_names"]
    assert 'f != "tables.json" && f != "aggregation_state.json"' in rule
    assert "aggregation_state" not in deployed_table_names()
    stages = fields(locals_of()["monitoring_views"])
    terraform_views = {unquote(v) for names in stages.values() for v in names}
    latest = of_type("google_bigquery_table")["predictions_latest"]
    terraform_views.add(unquote(latest["table_id"]))
    assert terraform_views == set(VIEWS)


def test_the_deploy_account_acts_only_as_the_accounts_infra_creates() -> None:
    """Item 8: no project-wide serviceAccountUser for the deploy account; actAs is granted on
    each function, push, builder and predict account, and the deploys wait for those grants."""
    from .hcl import BOOTSTRAP

    roles = locals_of(BOOTSTRAP)["service_account_roles"]
    assert "roles/iam.serviceAccountUser" not in roles
    deploy_roles = locals_of(BOOTSTRAP)["deploy_roles"]
    assert "roles/iam.serviceAccountUser" not in deploy_roles
    acts = of_type("google_service_account_iam_member")["deploy_acts_as"]
    assert unquote(acts["role"]) == "roles/iam.serviceAccountUser"
    assert acts["member"] == "${local.deploy_member}"
    acted = repr(locals_of()["acted_as"])
    for account in ("function", "pusher", "builder", "predict"):
        assert f"google_service_account.{account}" in acted, account
    assert "so-deploy@" in locals_of()["deploy_member"]
    settle = of_type("terraform_data")["grants_settle"]
    assert "google_service_account_iam_member.deploy_acts_as" in repr(settle)
