"""A Terraform provider's schema, taken offline from its prebuilt CDK for Terraform bindings.

``terraform validate`` needs the provider binary, which cannot be downloaded here; PyPI's
``cdktf-cdktf-provider-<name>`` wheels carry the provider's schema as a jsii assembly (JSON),
generated from one exact provider version that the package's ``package.json`` names. This
module turns that assembly into a compact schema (one JSON file per provider version) that
:mod:`strikeouts.deploy.tfcheck` checks ``infra/`` against.

Invariant: a compact schema names the provider source and version read from the package
itself, and its file is named after them, so a check never uses a schema of another version
than the one ``versions.tf`` pins: a missing file is a missing schema, never a fallback.

    python -m strikeouts.deploy.tfschema OUT_DIR WHEEL...
"""

from __future__ import annotations

import io
import json
import re
import sys
import tarfile
import zipfile
from pathlib import Path
from typing import Any

# A block: its arguments (name -> required), its nested blocks (name -> required and the
# nested schema) and, for resources and data sources, every attribute a reference may read
# (``attributes``: see Reads).
Block = dict[str, Any]
# what a reference may read: normal(attribute) -> what it may read below it, None for a value
Reads = dict[str, Any]

# The resource or data source a class stands for, from its generated docs: "Represents a
# {@link https://registry.terraform.io/providers/hashicorp/google/6.2.0/docs/resources/x google_x}."
REPRESENTS = re.compile(r"/docs/(resources|data-sources)/\S+ ([a-z0-9_]+)\}")
PROVIDER_CLASS = re.compile(r"/docs ([a-z0-9_-]+)\}")
# A property's Terraform name, from its docs link ("...#custom_time_before StorageBucket#...")
ANCHOR = re.compile(r"Docs at Terraform Registry: \{@link \S+#([a-z0-9_]+) ")
KINDS = {"resources": "resource", "data-sources": "data"}
# the getters every generated class has that are no Terraform attribute
NOT_ATTRIBUTES = {"tfResourceType", "internalValue"}
# the generated list and map classes of nested objects, whose element ``get`` returns
COLLECTIONS = {"cdktf.ComplexList", "cdktf.ComplexMap"}


def snake(name: str) -> str:
    """The Terraform name of a property whose docs carry no link (timeouts, provider settings)."""
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


def normal(name: str) -> str:
    """A name compared without case or underscores: jsii camel-cases digits unpredictably
    (``output_base64sha256`` is ``outputBase64Sha256``), so references compare this way."""
    return name.replace("_", "").lower()


def terraform_name(prop: dict[str, Any]) -> str:
    found = ANCHOR.search(prop.get("docs", {}).get("remarks", ""))
    return found.group(1) if found else snake(str(prop["name"]))


def struct_of(kind: Any, types: dict[str, Any]) -> str | None:
    """The assembly's own struct a property's type holds (a nested block), wherever it sits in
    the type (plain, list, map, or a union with ``IResolvable``); None for a plain value."""
    if isinstance(kind, dict):
        fqn = kind.get("fqn")
        if isinstance(fqn, str) and types.get(fqn, {}).get("datatype"):
            return fqn
        for inner in kind.values():
            found = struct_of(inner, types)
            if found:
                return found
    elif isinstance(kind, list):
        for inner in kind:
            found = struct_of(inner, types)
            if found:
                return found
    return None


def block(fqn: str, types: dict[str, Any], seen: tuple[str, ...] = ()) -> Block:
    """The schema of one config struct, nested blocks expanded (a recursive struct stops)."""
    arguments: dict[str, bool] = {}
    blocks: dict[str, dict[str, Any]] = {}
    for prop in types[fqn].get("properties", []):
        name, required = terraform_name(prop), not prop.get("optional", False)
        nested = struct_of(prop["type"], types)
        if nested and nested not in seen:
            blocks[name] = {"required": required, "schema": block(nested, types, (*seen, fqn))}
        else:
            arguments[name] = required
    return {"arguments": arguments, "blocks": blocks}


def config_struct(cls: dict[str, Any]) -> str:
    params = cls.get("initializer", {}).get("parameters", [])
    return next(str(p["type"]["fqn"]) for p in params if p["name"] == "config")


def attributes(cls: dict[str, Any], types: dict[str, Any], seen: tuple[str, ...] = ()) -> Reads:
    """Every attribute a reference may read (computed ones included), by :func:`normal` name:
    the class's getters, inputs and statics aside, each with what a reference may read below
    it (None: a plain value, or a type whose inside the bindings do not spell out)."""
    return {
        normal(str(p["name"])): below(p["type"].get("fqn"), types, (*seen, cls["fqn"]))
        for p in cls.get("properties", [])
        if not p.get("static")
        and not str(p["name"]).endswith("Input")
        and p["name"] not in NOT_ATTRIBUTES
    }


def below(fqn: str | None, types: dict[str, Any], seen: tuple[str, ...]) -> Reads | None:
    """The attributes under a nested block's getter: an object's own getters, or for a list or
    map of objects those of its element (what ``get(i)`` returns)."""
    cls = types.get(fqn or "")
    if cls is None or cls["kind"] != "class" or fqn in seen:
        return None
    if cls.get("base") in COLLECTIONS:
        get = next((m for m in cls.get("methods", []) if m["name"] == "get"), None)
        return below(get["returns"]["type"].get("fqn"), types, seen) if get else None
    return attributes(cls, types, seen) if cls.get("base") == "cdktf.ComplexObject" else None


def compact(assembly: dict[str, Any], package: dict[str, Any]) -> dict[str, Any]:
    """The provider, resource and data source schemas of one jsii assembly."""
    types: dict[str, Any] = assembly["types"]
    provider = package["cdktf"]["provider"]
    out: dict[str, Any] = {
        "source": provider["name"],
        "version": provider["version"],
        "package": f"{package['name']} {package['version']}",
        "resource": {},
        "data": {},
    }
    for cls in types.values():
        if cls["kind"] != "class" or "initializer" not in cls:
            continue
        summary = cls.get("docs", {}).get("summary", "")
        if found := REPRESENTS.search(summary):
            schema = block(config_struct(cls), types)
            schema["attributes"] = attributes(cls, types)
            out[KINDS[found.group(1)]][found.group(2)] = schema
        elif PROVIDER_CLASS.search(summary):
            out["provider"] = block(config_struct(cls), types)
    if not out["resource"] and not out["data"]:
        raise ValueError(f"{out['package']}: no resource or data source found in its assembly")
    return out


def read_wheel(wheel: Path) -> dict[str, Any]:
    """The compact schema of one cdktf provider wheel (its bundled npm tarball, in memory)."""
    with zipfile.ZipFile(wheel) as archive:
        inner = [n for n in archive.namelist() if n.endswith(".jsii.tgz")]
        if len(inner) != 1:
            raise ValueError(f"{wheel.name}: expected one bundled .jsii.tgz, found {inner}")
        tarball = archive.read(inner[0])
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as tar:
        members = {m.name: m for m in tar.getmembers()}

        def load(name: str) -> dict[str, Any]:
            handle = tar.extractfile(members[name])
            if handle is None:
                raise ValueError(f"{wheel.name}: {name} is not a file")
            loaded: dict[str, Any] = json.load(handle)
            return loaded

        return compact(load("package/.jsii"), load("package/package.json"))


def schema_file(directory: Path, source: str, version: str) -> Path:
    """Where the compact schema of provider ``source`` (hashicorp/google or the registry's full
    address) at ``version`` lives."""
    namespace, name = source.split("/")[-2:]
    return directory / f"{namespace}-{name}-{version}.json"


def load_schema(directory: Path, source: str, version: str) -> dict[str, Any]:
    """A compact schema written by :func:`main`; FileNotFoundError when there is none."""
    loaded: dict[str, Any] = json.loads(schema_file(directory, source, version).read_text())
    return loaded


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__.strip().splitlines()[-1].strip(), file=sys.stderr)
        return 2
    out = Path(argv[0])
    out.mkdir(parents=True, exist_ok=True)
    for wheel in map(Path, argv[1:]):
        schema = read_wheel(wheel)
        target = schema_file(out, schema["source"], schema["version"])
        target.write_text(json.dumps(schema, separators=(",", ":"), sort_keys=True))
        print(
            f"{target}: {schema['source']} {schema['version']} from {schema['package']}"
            f" ({len(schema['resource'])} resources, {len(schema['data'])} data sources)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
