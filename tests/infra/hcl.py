"""Reading ``infra/`` as data for the static checks: every root module, its files parsed by
python-hcl2, resources by (type, name), strings without python-hcl2's quotes."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import hcl2

from strikeouts.deploy.tfcheck import fields, labelled
from strikeouts.settings import PROJECT_ROOT

INFRA = PROJECT_ROOT / "infra"
BOOTSTRAP = INFRA / "bootstrap"
ENVS = INFRA / "envs"
ROOT_MODULES = (INFRA, BOOTSTRAP)
ENVIRONMENTS = ("dev", "prod")


def terraform_files() -> list[Path]:
    """Every .tf file of infra/ (modules and bootstrap included), never a provider cache."""
    return sorted(p for p in INFRA.rglob("*.tf") if ".terraform" not in p.parts)


@cache
def load(path: Path) -> dict[str, Any]:
    """One HCL file (.tf, .tfvars, .hcl) parsed."""
    with path.open() as handle:
        parsed: dict[str, Any] = hcl2.load(handle)
    return parsed


def unquote(value: Any) -> Any:
    """A python-hcl2 string literal without its quotes; anything else unchanged."""
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def resources(
    module: Path = INFRA, kind: str = "resource"
) -> dict[tuple[str, str], dict[str, Any]]:
    """(type, name) -> body of every resource (or data source) of one root module's own files."""
    return {
        (rtype, name): body
        for path in sorted(module.glob("*.tf"))
        for rtype, name, body in labelled(load(path), kind)
    }


def of_type(rtype: str, module: Path = INFRA) -> dict[str, dict[str, Any]]:
    """name -> body of every resource of ``rtype`` in one root module."""
    return {name: body for (kind, name), body in resources(module).items() if kind == rtype}


def locals_of(module: Path = INFRA) -> dict[str, Any]:
    """Every ``locals`` entry of one root module's files."""
    merged: dict[str, Any] = {}
    for path in sorted(module.glob("*.tf")):
        for block in load(path).get("locals", []):
            merged.update(fields(block))
    return merged


def required_providers(module: Path) -> dict[str, dict[str, str]]:
    """name -> {source, version} from the module's terraform.required_providers."""
    out: dict[str, dict[str, str]] = {}
    for path in sorted(module.glob("*.tf")):
        for block in load(path).get("terraform", []):
            for providers in block.get("required_providers", []):
                for name, spec in fields(providers).items():
                    out[unquote(name)] = {k: unquote(v) for k, v in fields(spec).items()}
    return out
