"""Static checks of ``infra/``: every Terraform file parses, and ``terraform fmt`` has nothing
to change (where the image has the binary: no registry this project may use ships it)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import hcl2
import pytest

from strikeouts.settings import PROJECT_ROOT

INFRA = PROJECT_ROOT / "infra"
FILES = sorted(INFRA.rglob("*.tf"))


def test_infra_has_terraform_files() -> None:
    assert len(FILES) >= 10


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(INFRA)))
def test_every_terraform_file_parses(path: Path) -> None:
    with path.open() as handle:
        parsed = hcl2.load(handle)
    assert parsed, f"{path} parsed to nothing"


def test_the_predict_function_is_never_public() -> None:
    """No binding in any file grants a function to everyone."""
    for path in FILES:
        text = path.read_text()
        assert '"allUsers"' not in text.replace('["allUsers", "allAuthenticatedUsers"]', ""), path


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
