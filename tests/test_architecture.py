"""The layers stay apart: the domain core imports no cloud client and no outer layer."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "shared" / "strikeouts"

# package -> the strikeouts packages it may import (besides itself, settings, logs)
ALLOWED: dict[str, set[str]] = {
    "warehouse": set(),
    "data": {"warehouse"},
    "evaluation": set(),
    "features": {"warehouse", "evaluation"},
    "models": {"features", "warehouse"},
    "pipeline": {"warehouse"},
    "backtest": {"models", "features", "pipeline", "evaluation", "warehouse"},
    "runtime": {"pipeline", "models", "features", "warehouse", "data", "evaluation"},
    "monitoring": {"warehouse", "pipeline", "data"},
    "sources": set(),
    "gameday": {"sources", "data", "warehouse", "runtime", "pipeline", "models", "features"},
    # the operations layer: it drives the cloud adapters and reads what the inner layers define
    "deploy": {"cloud", "emulators", "monitoring", "models", "pipeline", "warehouse", "data"},
}
DOMAIN_MODULES = [
    "strikeouts.data.ingest",
    "strikeouts.features.build",
    "strikeouts.models.service",
    "strikeouts.models.training",
    "strikeouts.evaluation.metrics",
    "strikeouts.backtest.walkforward",
    "strikeouts.pipeline.embedded",
    "strikeouts.pipeline.handlers.ensemble",
    "strikeouts.runtime.runner",
    "strikeouts.sources.statsapi",
    "strikeouts.sources.odds",
    "strikeouts.gameday.results",
    "strikeouts.gameday.grading",
    "strikeouts.gameday.daily",
    "strikeouts.monitoring.service",
    "strikeouts.monitoring.report",
]


def _imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "strikeouts" and len(parts) > 1:
                found.add(parts[1])
    return found


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_inner_layers(package: str) -> None:
    allowed = ALLOWED[package] | {package, "settings", "logs", "jsonfile"}
    for path in sorted((PACKAGE / package).rglob("*.py")):
        bad = _imported_packages(path) - allowed
        assert not bad, f"{path.relative_to(PACKAGE)} imports strikeouts.{sorted(bad)}"


def test_domain_core_loads_no_cloud_client() -> None:
    """Importing the domain and the embedded runtime pulls in no google.cloud client.

    (The bare ``google.cloud`` namespace is created by a .pth file at start-up.)
    """
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in DOMAIN_MODULES)
        + "bad = sorted(m for m in sys.modules if m.startswith(('google.cloud.', 'functions_framework')))\n"
        + "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"cloud clients imported by the domain: {out.stdout}"
