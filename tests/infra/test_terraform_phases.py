"""The rollout phases are configuration that Terraform itself validates: infra/variables.tf,
alone in a scratch module (it references no resource, so no provider is needed offline), is
planned with each environment's tfvars and each phase line, and refuses a bad phase. The system
ids it accepts are the registry's, as packaging writes them: a system added to the registry
alone goes through the phases, and Terraform's ids cannot drift from the registry."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from strikeouts.devstack.packaging import SYSTEMS_FILE, write_systems
from strikeouts.models.systems import SYSTEMS, SystemSpec, get_system, system_ids

from .hcl import ENVIRONMENTS, ENVS, INFRA, load, terraform_files

TERRAFORM = shutil.which("terraform")
pytestmark = pytest.mark.skipif(TERRAFORM is None, reason="terraform is not installed")
PHASE_LINE = re.compile(r"^#?\s*(systems\s*=\s*\{.*\})\s*#\s*(phase .*)$", re.M)
ENV = {**os.environ, "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1", "TF_INPUT": "0"}


@pytest.fixture(scope="module")
def variables_module(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A module of infra/variables.tf only, initialised (nothing to download)."""
    folder = tmp_path_factory.mktemp("tfvars")
    shutil.copy(INFRA / "variables.tf", folder / "variables.tf")
    write_systems(folder / "build")  # as `strikeouts package-functions` does
    (folder / "outputs.tf").write_text(
        'output "expected" { value = var.systems.expected }\n'
        'output "ensemble" { value = var.systems.ensemble }\n'
    )
    terraform(folder, "init", "-backend=false")
    yield folder


def terraform(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert TERRAFORM is not None
    return subprocess.run(
        [TERRAFORM, f"-chdir={folder}", *args],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=120,
    )


def plan(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    build = f"-var=functions_build_dir={folder / 'build'}"
    return terraform(folder, "plan", "-no-color", "-var=project_id=strikeouts-test", build, *args)


def phase_lines(env: str) -> dict[str, str]:
    """'phase 1 (and rollback)' -> its systems = {...} line, commented out or not."""
    text = (ENVS / f"{env}.tfvars").read_text()
    return {label.strip(): line for line, label in PHASE_LINE.findall(text)}


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_environment_tfvars_pass_validation(variables_module: Path, env: str) -> None:
    done = plan(variables_module, f"-var-file={ENVS / f'{env}.tfvars'}")
    assert done.returncode == 0, done.stderr
    assert 'expected = [\n      + "v1_baseline",\n    ]' in done.stdout


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_phase_line_is_valid_and_phase_one_is_active(
    variables_module: Path, env: str
) -> None:
    lines = phase_lines(env)
    assert {k.split()[1] for k in lines} == {"1", "2", "3"}
    text = (ENVS / f"{env}.tfvars").read_text()
    active = [line for line in text.splitlines() if line.startswith("systems")]
    assert len(active) == 1 and "phase 1" in active[0]
    for label, line in lines.items():
        var_file = variables_module / "phase.tfvars"
        var_file.write_text(line + "\n")
        done = plan(variables_module, f"-var-file={var_file}")
        assert done.returncode == 0, f"{env} {label}: {done.stderr}"
        assert ("ensemble = true" in done.stdout) == label.startswith("phase 3"), label


@pytest.mark.parametrize(
    ("systems", "message"),
    [
        (
            '{deployed=["v1_baseline"], expected=["v1_baseline", "v1_6_rolling"], ensemble=false}',
            "subset",
        ),
        (
            '{deployed=["v1_baseline", "v2"], expected=["v1_baseline"], ensemble=false}',
            "registered system ids",
        ),
        ("{deployed=[], expected=[], ensemble=false}", "non-empty"),
        (
            '{deployed=["v1_baseline", "v1_baseline"], expected=["v1_baseline"], ensemble=true}',
            "once",
        ),
    ],
)
def test_a_bad_phase_is_refused(variables_module: Path, systems: str, message: str) -> None:
    done = plan(variables_module, f"-var=systems={systems}")
    assert done.returncode != 0
    assert message in " ".join(done.stderr.split())


@pytest.mark.parametrize(
    "bad",
    [
        "-var=project_id=Bad_Project",
        "-var=max_delivery_attempts=4",
        "-var=max_delivery_attempts=101",
        "-var=region=us-central1-a",
        "-var=dataset=1strikeouts",
        '-var=schedule_crons=["every day"]',
        "-var=kms_key_name=my-key",
        '-var=function_source_objects={fanout="fanout.zip"}',
    ],
)
def test_bad_values_fail_at_plan(variables_module: Path, bad: str) -> None:
    done = plan(variables_module, bad)
    assert done.returncode != 0, bad
    assert "Invalid value for variable" in done.stderr


def phase(systems: list[str], *, ensemble: bool) -> str:
    listed = ", ".join(f'"{s}"' for s in systems)
    return f"-var=systems={{deployed=[{listed}], expected=[{listed}], ensemble={str(ensemble).lower()}}}"


def test_terraform_accepts_exactly_the_registered_systems(variables_module: Path) -> None:
    """Every registered id passes the phase validation (a hard-coded list that lacks one
    fails here), and an id the registry lacks is refused, naming the registered ones."""
    done = plan(variables_module, phase(system_ids(), ensemble=True))
    assert done.returncode == 0, done.stderr
    refused = plan(variables_module, phase([*system_ids(), "v0_unregistered"], ensemble=True))
    assert refused.returncode != 0
    message = " ".join(refused.stderr.split())
    assert "registered system ids" in message and all(s in message for s in system_ids())


def test_no_terraform_file_lists_system_ids() -> None:
    """Terraform's system ids come only from the packaged registry (systems.json): a system id
    in a .tf expression is a second list that drifts (phase choices: envs/*.tfvars, defaults)."""
    for path in terraform_files():
        code = repr(expressions(load(path)))
        for system_id in system_ids():
            assert system_id not in code, f"{path.relative_to(INFRA)} names {system_id}"


def expressions(value: Any) -> Any:
    """A parsed file without its prose (descriptions, comments) and defaults: those may name a
    system, as the phase choices do; only an allowed-ids list would drift."""
    if isinstance(value, dict):
        skipped = ("description", "error_message", "default")
        return {
            k: expressions(v)
            for k, v in value.items()
            if k not in skipped and not k.startswith("__")
        }
    if isinstance(value, list):
        return [expressions(v) for v in value]
    return value


def test_a_system_in_the_registry_alone_goes_through_the_phases(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Registered (nothing else edited) and packaged, a new system is deployed and written
    (phase 2), then in the ensemble (phase 3); the build before it refuses it."""
    folder = tmp_path / "module"
    folder.mkdir()
    shutil.copy(INFRA / "variables.tf", folder / "variables.tf")
    write_systems(folder / "build")
    before = [*system_ids(), "zz_throwaway"]
    assert plan_init(folder).returncode == 0
    assert plan(folder, phase(before, ensemble=False)).returncode != 0
    spec = SystemSpec(
        system_id="zz_throwaway",
        feature_set=get_system("v1_baseline").feature_set,
        objective="reg:tweedie",
    )
    monkeypatch.setitem(SYSTEMS, spec.system_id, spec)
    written = write_systems(folder / "build")
    assert written.name == SYSTEMS_FILE and "zz_throwaway" in written.read_text()
    for ensemble in (False, True):
        done = plan(folder, phase(system_ids(), ensemble=ensemble))
        assert done.returncode == 0, done.stderr


def plan_init(folder: Path) -> subprocess.CompletedProcess[str]:
    return terraform(folder, "init", "-backend=false")
