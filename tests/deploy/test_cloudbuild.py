"""The three Cloud Build files keep their promises (issue 20): the plan build gates, plans
and stores the plan with its `terraform show` for an approver; the apply build applies exactly
that stored plan (refusing a stale one, never -auto-approve) and starts the rollback build on a
failed smoke; the rollback build runs at the previous release's commit with its saved inputs
and a lock timeout. All have a timeout and pinned builder images, and every command they run
exists in the CLI with the options they pass."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from strikeouts.cli import app
from strikeouts.settings import PROJECT_ROOT

FILES = ("cloudbuild.yaml", "cloudbuild-apply.yaml", "cloudbuild-rollback.yaml")
BUILDS: dict[str, dict[str, Any]] = {
    f: yaml.safe_load((PROJECT_ROOT / f).read_text()) for f in FILES
}
BUILD = BUILDS["cloudbuild.yaml"]
STEPS: dict[str, dict[str, Any]] = {s["id"]: s for s in BUILD["steps"]}
APPLY: dict[str, dict[str, Any]] = {s["id"]: s for s in BUILDS["cloudbuild-apply.yaml"]["steps"]}
ROLLBACK: dict[str, dict[str, Any]] = {
    s["id"]: s for s in BUILDS["cloudbuild-rollback.yaml"]["steps"]
}
SUBSTITUTIONS: dict[str, str] = {
    **{k: v for b in BUILDS.values() for k, v in b["substitutions"].items()},
    "PROJECT_ID": "my-project",
    "BUILD_ID": "b-1",
    "COMMIT_SHA": "0123abc",
}
ALL_STEPS = [(f, step) for f, b in BUILDS.items() for step in b["steps"]]
_SUBST = re.compile(r"\$\{?([A-Z_][A-Z0-9_]*)\}?")


def substitute(text: str) -> str:
    """What Cloud Build makes of a string: ${_X}/$X substituted, $$ a literal $."""
    out, i = [], 0
    while i < len(text):
        if text.startswith("$$", i):
            out.append("$")
            i += 2
            continue
        match = _SUBST.match(text, i) if text[i] == "$" else None
        if match:
            name = match.group(1)
            assert name in SUBSTITUTIONS, f"unknown substitution ${name} (escape shell $ as $$)"
            out.append(SUBSTITUTIONS[name])
            i = match.end()
            continue
        out.append(text[i])
        i += 1
    return "".join(out)


def script(step: str, steps: dict[str, dict[str, Any]] = STEPS) -> str:
    return substitute(steps[step]["args"][-1])


@pytest.mark.parametrize("name", FILES)
def test_each_build_has_a_timeout(name: str) -> None:
    seconds = int(str(BUILDS[name]["timeout"]).removesuffix("s"))
    assert 0 < seconds <= 24 * 3600


def test_every_builder_image_is_pinned_by_digest() -> None:
    for name, step in ALL_STEPS:
        image = substitute(step["name"])
        assert re.search(r"@sha256:[0-9a-f]{64}$", image), f"{name} {step['id']}: {image}"


def test_the_terraform_image_meets_required_version() -> None:
    versions = (PROJECT_ROOT / "infra" / "versions.tf").read_text()
    floor = re.search(r'required_version\s*=\s*">=\s*([\d.]+)"', versions)
    assert floor is not None
    tag = re.search(r"terraform:([\d.]+)@", SUBSTITUTIONS["_TERRAFORM_IMAGE"])
    assert tag is not None

    def parts(v: str) -> tuple[int, ...]:
        return tuple(int(p) for p in v.split("."))

    assert parts(tag.group(1)) >= parts(floor.group(1))


def test_shell_variables_are_escaped_and_every_script_parses() -> None:
    bash = shutil.which("bash")
    for name, step in ALL_STEPS:
        body = substitute(step["args"][-1])  # raises on an unescaped shell $VAR
        if step.get("entrypoint") in ("bash", "sh") and bash:
            parsed = subprocess.run([bash, "-n"], input=body, text=True, capture_output=True)
            assert parsed.returncode == 0, f"{name} {step['id']}: {parsed.stderr}"


@pytest.mark.parametrize("name", FILES)
def test_steps_wait_only_for_steps_that_exist(name: str) -> None:
    ids = {s["id"] for s in BUILDS[name]["steps"]}
    for step in BUILDS[name]["steps"]:
        for wanted in step.get("waitFor", []):
            assert wanted == "-" or wanted in ids, f"{name} {step['id']} waits for {wanted}"


def test_tests_gate_the_plan() -> None:
    gate = set(STEPS["package-functions"]["waitFor"])
    assert {"lint", "types", "unit-tests", "emulator-e2e"} <= gate
    assert "pytest -q -m emulator" in script("emulator-e2e")
    assert "google-cloud-cli-pubsub-emulator" in script("emulator-e2e")


def test_init_uses_the_environment_state_and_plan_saves_the_plan() -> None:
    init = [substitute(a) for a in STEPS["terraform-init"]["args"]]
    assert "-backend-config=envs/dev.backend.hcl" in init
    plan = [substitute(a) for a in STEPS["terraform-plan"]["args"]]
    assert plan[0] == "plan" and "-out=tfplan" in plan and "-var-file=envs/dev.tfvars" in plan
    assert not any("auto-approve" in a for a in (*init, *plan))


def test_the_plan_build_stores_the_plan_and_its_show_output_and_applies_nothing() -> None:
    """Item 9: the approver sees what will change before anything does."""
    show = script("terraform-show")
    assert "terraform show -no-color tfplan" in show and "terraform show -json tfplan" in show
    store = script("store-plan")
    assert "plans/dev/0123abc" in store and "plans/dev/latest.json" in store
    assert "infra/tfplan" in store and "infra/.build" in store and "plan.txt" in store
    for step in BUILD["steps"]:
        body = " ".join(str(a) for a in step.get("args", []))
        assert "apply" not in substitute(body).split(), step["id"]


def _function(body: str, name: str) -> str:
    match = re.search(rf"^\s*{name}\(\) \{{\n(.*?)^\s*\}}", body, re.S | re.M)
    assert match, f"no {name}() in the deploy step"
    return match.group(1)


def test_the_apply_build_applies_exactly_the_stored_plan_after_the_snapshot() -> None:
    fetch = script("fetch-plan", APPLY)
    assert '/plans/dev"' in fetch and '"$P/latest.json"' in fetch and "stale plan" in fetch
    assert fetch.index("stale plan") < fetch.index("plan-bundle.tar.gz")
    body = script("deploy", APPLY)
    smoke = _function(body, "smoke")
    applies = [line for line in body.splitlines() if "terraform -chdir=infra apply" in line]
    assert len(applies) == 1 and applies[0].rstrip(" &").endswith(" tfplan")
    assert "-lock-timeout=" in applies[0] and applies[0] in smoke
    assert body.index("deploy snapshot") < body.index("smoke() {")
    for command in ("deploy seed", "deploy canary", "deploy validate"):
        assert command in smoke
    for name in FILES:
        assert "auto-approve" not in (PROJECT_ROOT / name).read_text(), name


def test_a_failed_smoke_rolls_back_aliases_starts_the_rollback_build_and_fails() -> None:
    body = script("deploy", APPLY)
    tail = body[body.index("if smoke; then") :]
    assert "echo ok > deploy-status" in tail and "deploy rollback" in tail
    record = script("record", APPLY)
    assert '"strikeouts-rollback-dev" --sha=' in record
    assert record.rindex("exit 1") > record.index("gcloud builds triggers run")
    assert '/releases/dev"' in record
    assert '"$R/current.json"' in record and '"$R/previous.json"' in record


def test_the_rollback_build_runs_at_the_release_commit_with_its_saved_inputs() -> None:
    """Item 7: its own build and time budget, the release's whole configuration (this commit)
    with its saved function sources, a saved plan applied, and a lock timeout."""
    fetch = script("fetch-release", ROLLBACK)
    assert "releases/dev/current.json" in fetch and "run it at that commit" in fetch
    assert "function_source_objects" in fetch and "rollback.tfvars.json" in fetch
    body = script("rollback", ROLLBACK)
    assert "-var-file=rollback.tfvars.json" in body and "-out=rollback.tfplan" in body
    assert "terraform apply -input=false -lock-timeout=10m rollback.tfplan" in body
    assert body.count("-lock-timeout=") == 2


def _strikeouts_calls(body: str) -> list[list[str]]:
    """Each ``strikeouts`` command line of a script, as argv after the program."""
    calls = []
    for line in body.replace("\\\n", " ").splitlines():
        for part in re.split(r"&&|\|\|", line):
            words = shlex.split(part.strip()) if part.strip() else []
            if words and words[0] in ("$S", ".venv/bin/strikeouts"):
                calls.append(words[1:])
    return calls


def test_every_strikeouts_command_of_the_build_exists_with_its_options() -> None:
    calls = [c for _, s in ALL_STEPS for c in _strikeouts_calls(substitute(s["args"][-1]))]
    assert ["package-functions", "--out", "build/functions"] in calls
    assert {tuple(c[:2]) for c in calls if c[0] == "deploy"} == {
        ("deploy", name) for name in ("snapshot", "seed", "canary", "validate", "rollback")
    }
    for call in calls:
        command = call[: 2 if call[0] == "deploy" else 1]
        shown = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "300"})
        assert shown.exit_code == 0, f"strikeouts {' '.join(command)}: {shown.output}"
        for option in (w for w in call if w.startswith("--")):
            assert option in shown.output, f"strikeouts {' '.join(command)} has no {option}"
