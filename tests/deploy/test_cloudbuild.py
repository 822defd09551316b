"""cloudbuild.yaml keeps its promises: a timeout, builder images pinned by digest, the apply
consumes the plan this build saved (no -auto-approve on that path), a failed smoke rolls back
and fails the build, and every command it runs exists in the CLI with the options it passes."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from typing import Any

import yaml
from typer.testing import CliRunner

from strikeouts.cli import app
from strikeouts.settings import PROJECT_ROOT

BUILD = yaml.safe_load((PROJECT_ROOT / "cloudbuild.yaml").read_text())
STEPS: dict[str, dict[str, Any]] = {s["id"]: s for s in BUILD["steps"]}
SUBSTITUTIONS: dict[str, str] = {
    **BUILD["substitutions"],
    "PROJECT_ID": "my-project",
    "BUILD_ID": "b-1",
}
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


def script(step: str) -> str:
    return substitute(STEPS[step]["args"][-1])


def test_the_build_has_a_timeout() -> None:
    seconds = int(str(BUILD["timeout"]).removesuffix("s"))
    assert 0 < seconds <= 24 * 3600


def test_every_builder_image_is_pinned_by_digest() -> None:
    for step in BUILD["steps"]:
        image = substitute(step["name"])
        assert re.search(r"@sha256:[0-9a-f]{64}$", image), f"{step['id']}: {image}"


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
    for step in BUILD["steps"]:
        body = substitute(step["args"][-1])  # raises on an unescaped shell $VAR
        if step.get("entrypoint") in ("bash", "sh") and bash:
            parsed = subprocess.run([bash, "-n"], input=body, text=True, capture_output=True)
            assert parsed.returncode == 0, f"{step['id']}: {parsed.stderr}"


def test_steps_wait_only_for_steps_that_exist_and_tests_gate_the_deploy() -> None:
    for step in BUILD["steps"]:
        for wanted in step.get("waitFor", []):
            assert wanted == "-" or wanted in STEPS, f"{step['id']} waits for {wanted}"
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


def _function(body: str, name: str) -> str:
    match = re.search(rf"^\s*{name}\(\) \{{\n(.*?)^\s*\}}", body, re.S | re.M)
    assert match, f"no {name}() in the deploy step"
    return match.group(1)


def test_deploy_applies_the_saved_plan_after_the_snapshot() -> None:
    body = script("deploy")
    smoke = _function(body, "smoke")
    applies = [line for line in body.splitlines() if "terraform -chdir=infra apply" in line]
    plan_apply = [line for line in applies if line.rstrip(" &").endswith(" tfplan")]
    assert len(plan_apply) == 1 and plan_apply[0] in smoke
    assert "auto-approve" not in smoke
    assert body.index("deploy snapshot") < body.index("smoke() {")
    for command in ("deploy seed", "deploy canary", "deploy validate"):
        assert command in smoke


def test_a_failed_smoke_rolls_back_and_fails_the_build() -> None:
    body = script("deploy")
    rollback = _function(body, "rollback")
    assert "deploy rollback" in rollback and "--tfvars-out infra/rollback.tfvars.json" in rollback
    assert "-var-file=rollback.tfvars.json" in rollback
    tail = body[body.index("if smoke; then") :]
    assert tail.index("exit 0") < tail.index("rollback") < tail.rindex("exit 1")


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
    calls = [c for s in BUILD["steps"] for c in _strikeouts_calls(substitute(s["args"][-1]))]
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
