"""What ``terraform validate`` would say about names, checked offline against the providers'
compact schemas (:mod:`strikeouts.deploy.tfschema`).

Invariant: every ``resource``/``data`` type, every argument and nested block (``dynamic``
ones included), every required argument or block, every ``provider`` block setting and every
``<type>.<name>.<attribute>`` reference and ``ignore_changes`` entry of a module is judged against the schema of exactly
the provider version the module pins; a name the schema lacks is an error, never skipped.
Terraform's own meta-arguments are Terraform's, not the provider's, and are not looked up.
Values and types (a string where a number is due, an enum's members) are not checked.

Input is python-hcl2's parse of each file (strings keep their quotes, blocks are lists of
dicts marked ``__is_block__``); the caller parses, so this module needs no HCL library.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from strikeouts.deploy.tfschema import Block, normal

# Terraform's meta-arguments and meta-blocks of resources and data sources
META = {"count", "for_each", "depends_on", "provider", "lifecycle", "provisioner", "connection"}
PROVIDER_META = {"alias", "version"}
# terraform_data is Terraform's built-in provider (terraform.io/builtin/terraform): no package
# carries it, and its schema is four names (developer.hashicorp.com/terraform/language/resources/terraform-data)
BUILTIN: dict[str, Any] = {
    "source": "terraform.io/builtin/terraform",
    "resource": {
        "terraform_data": {
            "arguments": {"input": False, "triggers_replace": False},
            "blocks": {},
            "attributes": {"id": None, "input": None, "output": None, "triggersreplace": None},
        }
    },
    "data": {},
}
# <type>.<name>.<attribute>[...], with an optional data. and indexes or splats between the names
REFERENCE = re.compile(
    r"(?<![\w.])(data\.)?([a-z][a-z0-9]*_[a-z0-9_]+)\.([A-Za-z_][\w-]*)"
    r"((?:(?:\[[^\]]*\])?\.[a-z_][a-z0-9_]*)+)"
)
INDEX = re.compile(r"\[[^\]]*\]")


def fields(body: Mapping[str, Any]) -> dict[str, Any]:
    """A parsed block's own entries, without python-hcl2's ``__is_block__``/``__comments__``."""
    return {k: v for k, v in body.items() if not k.startswith("__")}


def unquote(value: str) -> str:
    return value[1:-1] if len(value) >= 2 and value[0] == value[-1] == '"' else value


def is_block(value: Any) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(v, dict) and v.get("__is_block__") for v in value)
    )


def check_body(body: Mapping[str, Any], schema: Block, where: str, top: bool = True) -> list[str]:
    """Errors of one block body against its schema, nested blocks recursively."""
    errors: list[str] = []
    present: set[str] = set()
    for key, value in fields(body).items():
        if top and key in META:
            continue
        if key == "dynamic":
            for dynamic in value:
                for label, spec in fields(dynamic).items():
                    name = unquote(label)
                    present.add(name)
                    errors += nested(name, fields(spec).get("content", []), schema, where)
            continue
        present.add(key)
        if is_block(value):
            errors += nested(key, value, schema, where)
        elif key not in schema["arguments"] and key not in schema["blocks"]:
            errors.append(f"{where}: unsupported argument '{key}'")
    required = [n for n, r in schema["arguments"].items() if r] + [
        n for n, b in schema["blocks"].items() if b["required"]
    ]
    errors += [f"{where}: missing required '{n}'" for n in required if n not in present]
    return errors


def ignored(body: Mapping[str, Any], schema: Block, where: str) -> list[str]:
    """``lifecycle.ignore_changes`` names attributes the resource has (``all`` aside)."""
    errors: list[str] = []
    for lifecycle in body.get("lifecycle", []):
        names = lifecycle.get("ignore_changes", [])
        for entry in names if isinstance(names, list) else [names]:
            attribute = re.split(r"[.\[]", str(entry).strip('${}"'))[0]
            if attribute != "all" and normal(attribute) not in schema["attributes"]:
                errors.append(f"{where}: ignore_changes names no attribute '{attribute}'")
    return errors


def nested(name: str, bodies: list[Any], schema: Block, where: str) -> list[str]:
    if name not in schema["blocks"]:
        what = "an argument, not a block" if name in schema["arguments"] else "unsupported"
        return [f"{where}: block '{name}' is {what}"]
    inner = schema["blocks"][name]["schema"]
    return [e for b in bodies for e in check_body(b, inner, f"{where}.{name}", top=False)]


def labelled(parsed: Mapping[str, Any], kind: str) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(type, name, body) of every ``resource`` or ``data`` block of one parsed file."""
    for block in parsed.get(kind, []):
        for rtype, named in fields(block).items():
            for name, body in fields(named).items():
                yield unquote(rtype), unquote(name), body


def provider_of(rtype: str, body: Mapping[str, Any]) -> str:
    """The provider's local name: ``provider =`` if set, else the type's first word."""
    chosen = body.get("provider")
    if isinstance(chosen, str):
        return chosen.strip('${}"').split(".")[0]
    return rtype.split("_")[0]


def strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in fields(value).items():
            yield k
            yield from strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)


def check_module(
    files: Mapping[str, Mapping[str, Any]], providers: Mapping[str, Mapping[str, Any]]
) -> list[str]:
    """Every error of one module: ``files`` maps a file's name to its parse, ``providers`` a
    provider's local name (as ``required_providers`` names it) to its compact schema."""
    schemas = {"terraform": BUILTIN, **providers}
    errors: list[str] = []
    declared: dict[tuple[str, str, str], Block] = {}
    for filename, parsed in files.items():
        for kind in ("resource", "data"):
            for rtype, name, body in labelled(parsed, kind):
                where = f"{filename}: {'data.' if kind == 'data' else ''}{rtype}.{name}"
                local = provider_of(rtype, body)
                if local not in schemas:
                    errors.append(f"{where}: provider '{local}' is not in required_providers")
                    continue
                schema = schemas[local][kind].get(rtype)
                if schema is None:
                    source = schemas[local]["source"]
                    errors.append(f"{where}: {source} has no {kind} type '{rtype}'")
                    continue
                declared[(kind, rtype, name)] = schema
                errors += check_body(body, schema, where) + ignored(body, schema, where)
        for block in parsed.get("provider", []):
            for label, body in fields(block).items():
                local, where = unquote(label), f"{filename}: provider {unquote(label)}"
                if local not in providers:
                    errors.append(f"{where}: not in required_providers")
                    continue
                config = {k: v for k, v in fields(body).items() if k not in PROVIDER_META}
                errors += check_body(config, providers[local]["provider"], where, top=False)
    for filename, parsed in files.items():
        errors += [f"{filename}: {e}" for e in check_references(parsed, declared)]
    return errors


def check_references(
    parsed: Mapping[str, Any], declared: Mapping[tuple[str, str, str], Block]
) -> list[str]:
    """Every reference to a declared resource or data source reads attributes it has, nested
    ones (``service_config[0].uri``) as deep as the bindings spell them out."""
    errors: set[str] = set()
    for text in strings(parsed):
        for data, rtype, name, tail in REFERENCE.findall(text):
            schema = declared.get(("data" if data else "resource", rtype, name))
            reads: Mapping[str, Any] | None = schema["attributes"] if schema else None
            path = f"{data}{rtype}.{name}"
            for attribute in INDEX.sub("", tail).split(".")[1:]:
                if reads is None:  # a plain value (a map's key, say): nothing to look up
                    break
                if normal(attribute) not in reads:
                    errors.add(f"{path} has no attribute '{attribute}'")
                    break
                reads, path = reads[normal(attribute)], f"{path}.{attribute}"
    return sorted(errors)
