"""The layers stay apart: the domain core imports no cloud client and no outer layer."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "shared" / "strikeouts"

# package -> the strikeouts packages it may import (besides itself, settings, names, logs, errors)
ALLOWED: dict[str, set[str]] = {
    "warehouse": set(),
    "data": {"warehouse"},
    "evaluation": set(),
    "features": {"warehouse", "evaluation"},
    "models": {"features", "warehouse"},
    "pipeline": set(),
    "backtest": {"models", "features", "pipeline", "evaluation", "warehouse"},
    # the embedded composition root (its DuckDB state store and warehouse sinks live here)
    "runtime": {"pipeline", "models", "features", "warehouse", "data", "evaluation", "adapters"},
    "monitoring": {"warehouse", "pipeline", "data"},
    "sources": set(),
    "gameday": {"sources", "data", "warehouse", "runtime", "pipeline", "models", "features"},
    # the operations layer: it drives the cloud adapters and reads what the inner layers define
    "deploy": {
        "cloud",
        "devstack",
        "adapters",
        "monitoring",
        "models",
        "pipeline",
        "warehouse",
        "data",
    },
    # the Google Cloud adapters and the function wiring (never the local stack or the CLI)
    "cloud": {
        "adapters",
        "data",
        "gameday",
        "models",
        "monitoring",
        "pipeline",
        "runtime",
        "warehouse",
    },
    # the local development stack drives the cloud adapters against the emulators
    "devstack": {"cloud", "data", "models", "pipeline", "runtime", "warehouse"},
}
# The system registry (a system is one entry there) is read by every layer, the pipeline core's
# defaults included: it imports no outer layer itself.
REGISTRY = "strikeouts.models.systems"
SHARED_LEAVES = (REGISTRY,)
# Only these packages may import google.cloud or functions_framework (lazily or not).
CLOUD_ADAPTERS = {"cloud", "devstack"}
# The operations layer may also call Google APIs below google.cloud (auth, api_core errors).
GOOGLE_API_USERS = CLOUD_ADAPTERS | {"deploy"}
# A module in the pipeline core imports none of these: an adapter belongs elsewhere.
ADAPTER_LIBRARIES = {"duckdb", "google", "httpx", "functions_framework", "pyarrow", "pandas"}
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


def _imported_modules(path: Path) -> set[str]:
    """Every absolute import in ``path``: module level, inside functions and TYPE_CHECKING alike."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return found


def _imported_packages(path: Path) -> set[str]:
    found: set[str] = set()
    for name in _imported_modules(path):
        if any(name == leaf or name.startswith(f"{leaf}.") for leaf in SHARED_LEAVES):
            continue
        parts = name.split(".")
        if parts[0] == "strikeouts" and len(parts) > 1:
            found.add(parts[1])
    return found


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _package_of(path: Path) -> str:
    return path.relative_to(PACKAGE).parts[0].removesuffix(".py")


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_inner_layers(package: str) -> None:
    # countlaw: the strikeout count law (pure arithmetic) that features, models, the ensemble
    # and the backtest all read, so one distribution serves every layer
    # names: the topics, aliases and table names every layer shares (it imports nothing)
    allowed = ALLOWED[package] | {
        package,
        "settings",
        "logs",
        "jsonfile",
        "errors",
        "countlaw",
        "names",
    }
    for path in sorted((PACKAGE / package).rglob("*.py")):
        bad = _imported_packages(path) - allowed
        assert not bad, f"{path.relative_to(PACKAGE)} imports strikeouts.{sorted(bad)}"


def test_the_registry_imports_no_other_layer() -> None:
    """Every layer may read the registry, so it must not pull an outer layer in."""
    path = PACKAGE / "models" / "systems.py"
    assert _imported_packages(path) <= {"models", "features", "settings", "logs", "errors"}


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


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: _module_name(p))
def test_google_clients_only_in_the_cloud_adapters(path: Path) -> None:
    """``google.cloud`` and functions_framework only in cloud/ and devstack/, even lazily."""
    package = _package_of(path)
    for name in _imported_modules(path):
        top = name.split(".")[0]
        if name.startswith("google.cloud") or top == "functions_framework":
            assert package in CLOUD_ADAPTERS, f"{_module_name(path)} imports {name}"
        elif top == "google":
            assert package in GOOGLE_API_USERS, f"{_module_name(path)} imports {name}"


def test_pipeline_core_holds_no_adapter() -> None:
    for path in sorted((PACKAGE / "pipeline").rglob("*.py")):
        libraries = {name.split(".")[0] for name in _imported_modules(path)}
        assert not libraries & ADAPTER_LIBRARIES, (
            f"{_module_name(path)} imports {sorted(libraries & ADAPTER_LIBRARIES)}: an adapter "
            "belongs in runtime/ (embedded) or cloud/"
        )


def test_only_the_cli_imports_the_cli() -> None:
    for path in sorted(PACKAGE.rglob("*.py")):
        if _package_of(path) != "cli":
            assert "cli" not in _imported_packages(path), f"{_module_name(path)} imports the CLI"


def test_no_import_cycles() -> None:
    """No cycle among the package's modules, counting lazy imports too."""
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = {
        name: {m for m in _imported_modules(path) if m in modules and m != name}
        for name, path in modules.items()
    }
    done: set[str] = set()

    def visit(name: str, trail: list[str]) -> None:
        if name in trail:
            cycle = [*trail[trail.index(name) :], name]
            raise AssertionError("import cycle: " + " -> ".join(cycle))
        if name in done:
            return
        for target in sorted(graph[name]):
            visit(target, [*trail, name])
        done.add(name)

    for name in sorted(graph):
        visit(name, [])
