"""Terraform creates each view from the same SQL file, qualified exactly as the Python path does
(evaluated by ``terraform console`` on the real module; no provider or network needed)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from strikeouts.monitoring.views import VIEWS, view_path, view_sql
from strikeouts.settings import PROJECT_ROOT
from strikeouts.warehouse.schemas import table_names

MODULE = PROJECT_ROOT / "infra" / "modules" / "view_query"
MONITORING_VIEWS = [v for v in VIEWS if v != "pitcher_strikeout_predictions_latest"]


def _terraform() -> str:
    binary = shutil.which("terraform")
    if binary is None:
        # no package registry this project may use ships terraform: a machine without the
        # binary cannot install it, so this check runs where the image has it
        pytest.skip("terraform is not installed (not installable from the package registries)")
    assert binary is not None
    return binary


def _run(binary: str, args: list[str], cwd: Path, stdin: str = "") -> str:
    env = {**os.environ, "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}
    done = subprocess.run(
        [binary, *args], cwd=cwd, input=stdin, capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_terraform_qualifies_every_view_as_the_python_path_does(tmp_path: Path) -> None:
    binary = _terraform()
    names = json.dumps(sorted({*table_names(), *VIEWS}))
    views = json.dumps(MONITORING_VIEWS)
    (tmp_path / "main.tf").write_text(
        f"""
module "q" {{
  for_each    = toset({views})
  source      = "{MODULE}"
  sql         = file("{view_path("x").parent}/${{each.key}}.sql")
  names       = {names}
  dataset_ref = "proj.ds"
}}
"""
    )
    _run(binary, ["init", "-backend=false", "-input=false"], tmp_path)
    out = _run(binary, ["console"], tmp_path, "jsonencode({for k, m in module.q : k => m.query})\n")
    queries = json.loads(json.loads(out))
    assert sorted(queries) == sorted(MONITORING_VIEWS)
    for view in MONITORING_VIEWS:
        expected = view_sql(view, "proj.ds").split(f"VIEW `proj.ds.{view}` AS", 1)[1].strip()
        assert queries[view] == expected, view
        assert "`proj.ds." in queries[view]


def test_infra_is_terraform_formatted() -> None:
    binary = _terraform()
    _run(binary, ["fmt", "-check", "-recursive", str(PROJECT_ROOT / "infra")], PROJECT_ROOT)
