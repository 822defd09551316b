"""Each function's requirements.txt pins exactly what pyproject.toml pins, minus CLI-only tools."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = sorted(p.parent.name for p in (ROOT / "functions").glob("*/main.py"))
CLI_ONLY = {
    "typer",
    "rich",
    "matplotlib",
    "plotly",
    "google-auth",
}  # the command line, reports, deploy
# report libraries a function imports lazily, only to write the nightly report
REPORT_EXTRAS = {"monitor": {"plotly"}}


def _pins(lines: list[str]) -> dict[str, str]:
    pins = {}
    for line in lines:
        match = re.match(r"^\s*([A-Za-z0-9_.\-]+)==([^\s#;]+)", line)
        if match:
            pins[match.group(1).lower()] = match.group(2)
    return pins


def _project_pins() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return _pins(project["dependencies"])


@pytest.mark.parametrize("function", FUNCTIONS)
def test_function_requirements_match_the_project_pins(function: str) -> None:
    pins = _project_pins()
    extras = REPORT_EXTRAS.get(function, set())
    wanted = {k: v for k, v in pins.items() if k not in CLI_ONLY or k in extras}
    got = _pins((ROOT / "functions" / function / "requirements.txt").read_text().splitlines())
    assert got == wanted


def test_function_entry_points_import_without_cli_only_packages() -> None:
    """The functions import and build their app with the CLI-only packages made unimportable."""
    blocker = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        f"        if name.split('.')[0] in {sorted(CLI_ONLY)!r}:\n"
        "            raise ImportError(f'blocked CLI-only package {name}')\n"
        "        return None\n"
        "sys.meta_path.insert(0, Block())\n"
    )
    code = blocker + "".join(f"import functions.{f}.main\n" for f in FUNCTIONS) + "print('ok')\n"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr[-2000:]
    # fanout, predict_system (every system's), ensemble, ensemble_tick, predict, monitor,
    # schedule, results
    assert len(FUNCTIONS) == 8
