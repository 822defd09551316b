"""Static checks of ``infra/``: every Terraform file parses, ``terraform fmt`` has nothing to
change (where the image has the binary), the lock files pin what versions.tf requires, and
the review findings of issue 13 stay fixed, asserted on the parsed configuration."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import hcl2
import pytest
import yaml

from .hcl import (
    BOOTSTRAP,
    ENVIRONMENTS,
    ENVS,
    INFRA,
    ROOT_MODULES,
    fields,
    load,
    locals_of,
    of_type,
    required_providers,
    resources,
    terraform_files,
    unquote,
)

FILES = terraform_files()


def test_infra_has_terraform_files() -> None:
    assert len(FILES) >= 15
    assert any(p.parent == BOOTSTRAP for p in FILES)


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(INFRA)))
def test_every_terraform_file_parses(path: Path) -> None:
    with path.open() as handle:
        parsed = hcl2.load(handle)
    assert parsed, f"{path} parsed to nothing"


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_environment_files_parse_with_their_own_state_prefix(env: str) -> None:
    tfvars = load(ENVS / f"{env}.tfvars")
    backend = load(ENVS / f"{env}.backend.hcl")
    assert unquote(tfvars["environment"]) == env
    assert set(tfvars["systems"][0] if isinstance(tfvars["systems"], list) else tfvars["systems"])
    assert unquote(backend["prefix"]).endswith(f"/{env}")


def test_environments_never_share_a_state_prefix() -> None:
    prefixes = [unquote(load(ENVS / f"{e}.backend.hcl")["prefix"]) for e in ENVIRONMENTS]
    assert len(set(prefixes)) == len(prefixes)


LOCK_BLOCK = re.compile(
    r'provider "registry\.terraform\.io/([\w-]+/[\w-]+)" \{\s*version\s*=\s*"([^"]+)"'
    r".*?hashes = \[(.*?)\]",
    re.S,
)


@pytest.mark.parametrize("module", ROOT_MODULES, ids=lambda p: p.name)
def test_lock_file_pins_every_required_provider_with_hashes(module: Path) -> None:
    lock = (module / ".terraform.lock.hcl").read_text()
    locked = {
        m[0]: (m[1], re.findall(r'"(h1:[^"]+|zh:[0-9a-f]{64})"', m[2]))
        for m in LOCK_BLOCK.findall(lock)
    }
    required = required_providers(module)
    assert required, f"{module} requires no provider"
    for name, spec in required.items():
        source = spec["source"]
        assert re.fullmatch(r"\d+\.\d+\.\d+", spec["version"]), f"{name} is not pinned exactly"
        assert source in locked, f"{source} missing from {module}/.terraform.lock.hcl"
        version, hashes = locked[source]
        assert version == spec["version"], (
            f"{source}: lock {version} != versions.tf {spec['version']}"
        )
        assert any(h.startswith("h1:") for h in hashes), f"{source} has no h1: hash"
        assert sum(h.startswith("zh:") for h in hashes) >= 10, f"{source}: zh: hashes missing"
    assert set(locked) == {s["source"] for s in required.values()}, "lock lists extra providers"


def test_push_ack_deadline_exceeds_the_function_timeout() -> None:
    timeout = locals_of()["function_timeout_seconds"]
    timeouts = [
        body["service_config"][0]["timeout_seconds"]
        for body in of_type("google_cloudfunctions2_function").values()
    ]
    assert "${local.function_timeout_seconds}" in timeouts
    ack = of_type("google_pubsub_subscription")["push"]["ack_deadline_seconds"]
    assert isinstance(ack, int) and ack > timeout, (ack, timeout)
    assert ack <= 600  # Pub/Sub's maximum


def test_push_endpoints_carry_the_topic_path() -> None:
    endpoint = of_type("google_pubsub_subscription")["push"]["push_config"][0]["push_endpoint"]
    assert "/projects/${var.project_id}/topics/${local.topics[each.value.topic]}" in endpoint
    audience = of_type("google_pubsub_subscription")["push"]["push_config"][0]["oidc_token"][0]
    assert audience["audience"] == endpoint.strip('"').split("}/projects/")[0] + "}"


@pytest.mark.parametrize("module", ROOT_MODULES, ids=lambda p: p.name)
def test_subscriptions_never_expire(module: Path) -> None:
    for name, body in of_type("google_pubsub_subscription", module).items():
        assert unquote(body["expiration_policy"][0]["ttl"]) == "", name


def test_dead_letter_inspection_keeps_messages_long() -> None:
    inspect = of_type("google_pubsub_subscription")["dead_letter_inspect"]
    assert "dead_letter_retention_days * 86400" in inspect["message_retention_duration"]


@pytest.mark.parametrize("module", ROOT_MODULES, ids=lambda p: p.name)
def test_every_bucket_enforces_public_access_prevention(module: Path) -> None:
    buckets = of_type("google_storage_bucket", module)
    assert buckets
    for name, body in buckets.items():
        assert unquote(body.get("public_access_prevention")) == "enforced", name
        assert body.get("uniform_bucket_level_access") is True, name


def test_function_sources_are_never_deleted_by_age() -> None:
    """Sources are uploaded by content hash and rebuilt on rollback: no age-based deletion
    of current objects (only noncurrent versions expire)."""
    sources = of_type("google_storage_bucket")["sources"]
    for rule in sources.get("lifecycle_rule", []):
        condition = rule["condition"][0]
        assert "age" not in condition and unquote(condition.get("with_state")) == "ARCHIVED"


def test_ensemble_tick_runs_one_request_on_one_instance() -> None:
    config = of_type("google_cloudfunctions2_function")["function"]["service_config"][0]
    assert config["max_instance_count"].startswith('${each.key == "ensemble_tick" ? 1 :')
    concurrency = config["max_instance_request_concurrency"]
    assert re.search(r'contains\(\["fanout", "ensemble_tick"\], each.key\) \? 1 :', concurrency)


def test_no_function_account_edits_the_whole_dataset() -> None:
    """Table-level writes on the warehouse; dataset-wide dataEditor only on the scratch one."""
    for name, body in of_type("google_bigquery_dataset_iam_member").items():
        on_scratch = "google_bigquery_dataset.scratch." in body["dataset_id"]
        assert unquote(body["role"]) != "roles/bigquery.dataEditor" or on_scratch, name
    scratch = of_type("google_bigquery_dataset")["scratch"]
    assert scratch["default_table_expiration_ms"] <= 86400000
    env = locals_of()["function_env"]
    assert unquote(env["STRIKEOUTS_BIGQUERY_MANAGE_SCHEMA"]) == "false"
    assert "google_bigquery_dataset.scratch" in env["STRIKEOUTS_BIGQUERY_SCRATCH_DATASET"]
    writers = of_type("google_bigquery_table_iam_member")
    assert unquote(writers["writer"]["role"]) == "roles/bigquery.dataEditor"


def test_every_written_table_exists() -> None:
    managed = {p.stem for p in (INFRA.parent / "schemas" / "bigquery").glob("*.json")}
    managed |= {"pitcher_strikeout_predictions_staging", "shadow_predictions_staging"}
    specs = fields(locals_of()["core_functions"])
    assert specs
    for name, spec in specs.items():
        assert {unquote(t) for t in spec["writes"]} <= managed, name


def test_apis_are_enabled_without_disabling_on_destroy() -> None:
    for module in ROOT_MODULES:
        api = of_type("google_project_service", module)["api"]
        assert api["disable_on_destroy"] is False
    apis = set(locals_of()["apis"].removeprefix("${toset(").removesuffix(")}").split('"')[1::2])
    needed = {
        "cloudfunctions",
        "run",
        "cloudbuild",
        "artifactregistry",
        "pubsub",
        "bigquery",
        "storage",
        "cloudscheduler",
        "secretmanager",
        "monitoring",
        "logging",
        "eventarc",
        "iam",
        "cloudresourcemanager",
    }
    assert {f"{a}.googleapis.com" for a in needed} <= apis


def test_functions_build_as_the_builder_account() -> None:
    for name, body in of_type("google_cloudfunctions2_function").items():
        assert (
            body["build_config"][0]["service_account"] == "${google_service_account.builder.id}"
        ), name


def test_the_predict_function_is_never_public() -> None:
    """No binding in any file grants a function to everyone."""
    for path in FILES:
        text = path.read_text()
        assert '"allUsers"' not in text.replace('["allUsers", "allAuthenticatedUsers"]', ""), path


def test_bootstrap_trigger_passes_the_deploy_substitutions() -> None:
    """The trigger passes what cloudbuild.yaml declares without a usable default, and holds
    every prod build for an approver."""
    trigger = of_type("google_cloudbuild_trigger", BOOTSTRAP)["deploy"]
    passed = set(fields(trigger["substitutions"]))
    assert passed == {"_ENV", "_TF_STATE_BUCKET", "_REGION", "_DATA_URI"}
    declared = yaml.safe_load((INFRA.parent / "cloudbuild.yaml").read_text())["substitutions"]
    assert passed <= set(declared)
    assert {k for k, v in declared.items() if v == ""} <= passed
    assert "approval_config" not in trigger  # the plan build applies nothing
    assert trigger["service_account"] == "${google_service_account.deploy.id}"
    manual = of_type("google_cloudbuild_trigger", BOOTSTRAP)["manual"]
    builds = locals_of(BOOTSTRAP)["manual_builds"]
    assert {unquote(b["file"]) for b in builds.values()} == {
        "cloudbuild-apply.yaml",
        "cloudbuild-rollback.yaml",
    }
    assert builds["apply"]["approval"] == '${var.environment == "prod"}'
    approval = manual["approval_config"]
    approval = approval[0] if isinstance(approval, list) else approval
    assert approval["approval_required"] == "${each.value.approval}"
    for name in ("cloudbuild-apply.yaml", "cloudbuild-rollback.yaml"):
        declared = yaml.safe_load((INFRA.parent / name).read_text())["substitutions"]
        assert {k for k, v in declared.items() if v == ""} <= set(fields(manual["substitutions"]))
    assert not {k for k in resources(BOOTSTRAP) if k[1] == "owner"}


def test_terraform_fmt_has_nothing_to_change() -> None:
    binary = shutil.which("terraform")
    if binary is None:
        pytest.skip("terraform is not installed (not installable from the package registries)")
    env = {**os.environ, "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}
    done = subprocess.run(
        [binary, "fmt", "-check", "-recursive", str(INFRA)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, f"terraform fmt would change: {done.stdout}"


def test_a_rollback_object_replaces_this_builds_source() -> None:
    """var.function_source_objects wins over the fresh upload, for every function."""
    override = locals_of()["function_source_objects"]
    assert "lookup(var.function_source_objects, fn," in override
    functions = of_type("google_cloudfunctions2_function")
    storage = functions["function"]["build_config"][0]["source"][0]["storage_source"][0]
    assert storage["object"] == "${local.function_source_objects[each.key]}"
    predict = functions["predict"]["build_config"][0]["source"][0]["storage_source"][0]
    assert predict["object"].startswith('${lookup(var.function_source_objects, "predict",')


def test_system_functions_follow_the_deployed_systems() -> None:
    systems = locals_of()["system_functions"]
    assert systems.startswith('${{for s in var.systems.deployed : "predict_${s}" =>')
    env = fields(locals_of()["function_env"])
    assert env["STRIKEOUTS_PIPELINE_EXPECTED_SYSTEMS"] == "${jsonencode(var.systems.expected)}"
    assert "var.systems.ensemble" in env["STRIKEOUTS_PIPELINE_WRITE_ENSEMBLE"]


@pytest.mark.parametrize("module", ROOT_MODULES, ids=lambda p: p.name)
def test_every_resource_waits_for_the_apis(module: Path) -> None:
    """On a fresh project nothing is created before its API is on: each resource either
    depends on the APIs or references a resource (or data source) that does."""
    for (rtype, name), body in resources(module).items():
        if rtype == "google_project_service":
            continue
        text = repr(body)
        waits = "depends_on" in body or "${google_" in text or "${data.google_" in text
        waits = waits or re.search(r"\bgoogle_[a-z_]+\.", text) is not None  # settle waits
        assert waits, f"{rtype}.{name} may be created before its API is enabled"


def test_the_deploy_account_may_grant_every_project_role_infra_grants() -> None:
    """The conditional projectIamAdmin of the deploy account lists exactly the project roles
    infra/ grants: one more grant in infra/ would fail the apply, one more listed is excess."""
    listed = {unquote(r) for r in locals_of(BOOTSTRAP)["grantable_roles"]}
    granted: set[str] = set()
    for body in of_type("google_project_iam_member").values():
        role = body["role"]
        if role.startswith("${each.value}"):
            granted |= set(re.findall(r'"(roles/[\w.]+)"', body["for_each"]))
        else:
            granted.add(unquote(role))
    assert granted == listed
    condition = of_type("google_project_iam_member", BOOTSTRAP)["deploy_grants"]["condition"][0]
    assert "modifiedGrantsByRole" in condition["expression"]
