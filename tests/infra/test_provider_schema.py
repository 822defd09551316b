"""Every resource and data source type, argument, nested block and referenced attribute of
``infra/`` exists in the provider version it pins: ``terraform validate``'s name checks,
offline, against the providers' schemas from their prebuilt CDK bindings on PyPI.

``make tfschema`` (part of ``make test``) downloads those wheels once and keeps one compact
schema per provider version in .tf-schema/. In CI (CI=true) a missing schema fails the run;
elsewhere the tests skip and say how to get it."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import Any

import hcl2
import pytest

from strikeouts.deploy.tfcheck import check_module
from strikeouts.deploy.tfschema import load_schema, schema_file
from strikeouts.settings import PROJECT_ROOT

from .hcl import INFRA, load, required_providers, terraform_files

SCHEMAS = PROJECT_ROOT / ".tf-schema"
MODULES = sorted({p.parent for p in terraform_files()})


@cache
def schema(source: str, version: str) -> dict[str, Any]:
    """The compact schema of one pinned provider version, or a loud reason there is none."""
    if schema_file(SCHEMAS, source, version).exists():
        return load_schema(SCHEMAS, source, version)
    message = (
        f"no schema of {source} {version} at {schema_file(SCHEMAS, source, version)}:"
        " `make tfschema` builds it (pin the cdktf package of that provider version in"
        " the Makefile's TF_SCHEMA_PACKAGES)"
    )
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI: {message}")
    pytest.skip(message)


def providers_of(module: Path) -> dict[str, dict[str, Any]]:
    return {
        name: schema(spec["source"], spec["version"])
        for name, spec in required_providers(module).items()
    }


def check(module: Path) -> list[str]:
    files = {str(p.relative_to(PROJECT_ROOT)): load(p) for p in sorted(module.glob("*.tf"))}
    return check_module(files, providers_of(module))


@pytest.mark.parametrize("module", MODULES, ids=lambda m: str(m.relative_to(INFRA.parent)))
def test_every_name_in_infra_exists_in_the_pinned_provider(module: Path) -> None:
    assert check(module) == []


@pytest.mark.parametrize("module", MODULES, ids=lambda m: str(m.relative_to(INFRA.parent)))
def test_each_schema_is_of_the_pinned_version(module: Path) -> None:
    for spec, found in zip(
        required_providers(module).values(), providers_of(module).values(), strict=True
    ):
        assert found["source"].endswith("/" + spec["source"])
        assert found["version"] == spec["version"], found["package"]


def test_the_schema_knows_what_the_provider_requires() -> None:
    google = schema("hashicorp/google", "6.2.0")
    bucket = google["resource"]["google_storage_bucket"]
    assert bucket["arguments"]["location"] is True and bucket["arguments"]["name"] is True
    assert bucket["blocks"]["lifecycle_rule"]["schema"]["blocks"]["action"]["required"]
    assert "url" in bucket["attributes"] and "url" not in bucket["arguments"]  # computed only
    function = google["resource"]["google_cloudfunctions2_function"]["attributes"]
    assert "uri" in function["serviceconfig"]  # a computed attribute of a nested block
    assert len(google["resource"]) > 800 and len(google["data"]) > 250


SNIPPET = """
resource "google_storage_bucket" "b" {
  name     = "b"
  location = "US"
  lifecycle_rule {
    condition { age = 3 }
    action { type = "Delete" }
  }
  lifecycle {
    prevent_destroy = true
    ignore_changes  = [labels]
  }
}

resource "google_service_account" "a" {
  account_id = "a"
}

output "email" {
  value = google_service_account.a.email
}

output "first_action" {
  value = google_storage_bucket.b.lifecycle_rule[0].action[0].type
}
"""


def errors_of(text: str) -> list[str]:
    google = schema("hashicorp/google", "6.2.0")
    return check_module({"main.tf": hcl2.loads(text)}, {"google": google})


def test_the_snippet_itself_passes() -> None:
    assert errors_of(SNIPPET) == []


@pytest.mark.parametrize(
    ("wrong", "right", "error"),
    [
        ("  name     =", "  nmae     =", "google_storage_bucket.b: unsupported argument 'nmae'"),
        ("condition { age", "condition { agee", ".lifecycle_rule.condition: unsupported argument"),
        ("lifecycle_rule {", "lifecycle_rules {", "block 'lifecycle_rules' is unsupported"),
        ('"US"\n', '"US"\n  labels {}\n', "block 'labels' is an argument, not a block"),
        ('  location = "US"\n', "", "google_storage_bucket.b: missing required 'location'"),
        ("= [labels]", "= [lables]", "b: ignore_changes names no attribute 'lables'"),
        ("action[0].type", "action[0].typ", "b.lifecycle_rule.action has no attribute 'typ'"),
        ("a.email", "a.emial", "google_service_account.a has no attribute 'emial'"),
        (
            '"google_service_account" "a"',
            '"google_service_acount" "a"',
            "hashicorp/google has no resource type 'google_service_acount'",
        ),
    ],
)
def test_the_check_names_what_the_provider_lacks(wrong: str, right: str, error: str) -> None:
    assert wrong in SNIPPET
    found = errors_of(SNIPPET.replace(wrong, right, 1))
    assert any(error in e for e in found), found


@pytest.mark.parametrize("label", ["lifecycle_rule", "lifecycle_rules"])
def test_a_dynamic_block_is_checked_as_the_block_it_names(label: str) -> None:
    text = f"""
resource "google_storage_bucket" "b" {{
  name     = "b"
  location = "US"
  dynamic "{label}" {{
    for_each = [3]
    content {{
      condition {{ agee = {label}.value }}
      action {{ type = "Delete" }}
    }}
  }}
}}
"""
    expected = {
        "lifecycle_rule": "b.lifecycle_rule.condition: unsupported argument 'agee'",
        "lifecycle_rules": "block 'lifecycle_rules' is unsupported",
    }[label]
    found = errors_of(text)
    assert any(expected in e for e in found), found


def test_a_beta_only_resource_needs_the_beta_provider() -> None:
    """The GA provider 6.2.0 lacks google_project_service_identity (apis.tf): without its
    ``provider = google-beta`` the type is looked up in GA and named as missing."""
    apis = (INFRA / "apis.tf").read_text()
    line = "  provider   = google-beta\n"
    assert line in apis
    google = schema("hashicorp/google", "6.2.0")
    beta = schema("hashicorp/google-beta", "6.2.0")
    assert "google_project_service_identity" in beta["resource"]
    providers = {"google": google, "google-beta": beta}
    assert check_module({"apis.tf": hcl2.loads(apis)}, providers) == []
    found = check_module({"apis.tf": hcl2.loads(apis.replace(line, "", 1))}, providers)
    assert found == [
        "apis.tf: google_project_service_identity.pubsub: registry.terraform.io/hashicorp/google"
        " has no resource type 'google_project_service_identity'"
    ]
