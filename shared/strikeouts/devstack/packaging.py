"""Build the deployable folder of each function: its main.py and requirements.txt, the
strikeouts package and the schemas vendored in (nothing copied by hand, nothing committed).

Output: ``build/functions/<folder>/`` (gitignored) with ``main.py``, ``requirements.txt``,
``strikeouts/`` and ``strikeouts/_schemas/`` (found first by ``strikeouts.settings``), and
``build/functions/systems.json``: the registry's system ids, which Terraform reads as the ids
a rollout phase may name. Invariant: the functions Terraform deploys and the system ids it
accepts come from the same snapshot of the code. Every system function is deployed from the
one ``predict_system`` folder.
"""

from __future__ import annotations

import compileall
import hashlib
import json
import shutil
from pathlib import Path

from strikeouts.cloud.functions import (
    HTTP_FUNCTIONS,
    SYSTEM_FOLDER,
    function_folder,
    function_names,
)
from strikeouts.data.files import TEAM_CODES_FILE
from strikeouts.models.systems import system_ids
from strikeouts.settings import PROJECT_ROOT, SCHEMAS_DIR, get_settings

GAMEDAY_FUNCTIONS = ("schedule", "results")  # as strikeouts.cloud.gameday (not imported: cheap)

FUNCTIONS_DIR = PROJECT_ROOT / "functions"
PACKAGE_DIR = Path(__file__).resolve().parents[1]
DEFAULT_OUT = PROJECT_ROOT / "build" / "functions"
_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", "_schemas")
# what Terraform reads the registered system ids from (infra/variables.tf)
SYSTEMS_FILE = "systems.json"
# the folders that are not a system's, built once each
FOLDERS = (
    "fanout",
    SYSTEM_FOLDER,
    "ensemble",
    "ensemble_tick",
    *HTTP_FUNCTIONS,
    *GAMEDAY_FUNCTIONS,
)


def deployed_functions() -> tuple[str, ...]:
    """Every function key: the event functions (one per registered system), the HTTP ones and
    the game-day ones."""
    return (*function_names(), *HTTP_FUNCTIONS, *GAMEDAY_FUNCTIONS)


def package_function(name: str, out_dir: Path = DEFAULT_OUT, data_dir: Path | None = None) -> Path:
    """Assemble ``out_dir/<folder>`` from ``functions/<folder>`` plus the vendored package
    (the folder of function ``name``: ``predict_system`` for a system function).

    A game-day function also gets ``data/team_codes.csv`` from ``data_dir`` (its
    ``STRIKEOUTS_DATA_DIR`` is ``data``): the live sources name teams in full.
    """
    name = function_folder(name)
    source = FUNCTIONS_DIR / name
    if not (source / "main.py").is_file():
        raise FileNotFoundError(f"function {name!r}: {source / 'main.py'} does not exist")
    target = out_dir / name
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for item in ("main.py", "requirements.txt"):
        shutil.copy2(source / item, target / item)
    shutil.copytree(PACKAGE_DIR, target / "strikeouts", ignore=_IGNORE)
    shutil.copytree(SCHEMAS_DIR, target / "strikeouts" / "_schemas")
    if name in GAMEDAY_FUNCTIONS:
        codes = (data_dir or get_settings().data_dir) / TEAM_CODES_FILE
        if not codes.is_file():
            raise FileNotFoundError(f"function {name!r} needs {codes} (set STRIKEOUTS_DATA_DIR)")
        (target / "data").mkdir()
        shutil.copy2(codes, target / "data" / TEAM_CODES_FILE)
    return target


def package_functions(names: list[str] | None = None, out_dir: Path = DEFAULT_OUT) -> list[Path]:
    """Package every function folder (or ``names``) and write the registered system ids;
    returns the folders built."""
    built = [package_function(name, out_dir) for name in (names or list(FOLDERS))]
    write_systems(out_dir)
    return built


def write_systems(out_dir: Path = DEFAULT_OUT) -> Path:
    """``out_dir/systems.json``: the registered system ids (Terraform's allowed ids)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / SYSTEMS_FILE
    path.write_text(json.dumps({"systems": system_ids()}, indent=2) + "\n")
    return path


def _tree_files(root: Path) -> list[Path]:
    """Files under ``root`` that packaging copies (caches and vendored schemas left out)."""
    skipped = {"__pycache__", "_schemas"}
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file() and p.suffix != ".pyc" and not skipped & set(p.relative_to(root).parts)
    )


def source_hash(name: str) -> str:
    """sha256 of what function ``name`` is packaged from in this tree: its folder's own files
    (``predict_system`` for a system function), the strikeouts package and the schemas
    (relative paths included, so a rename changes it). `deploy validate` compares what a
    running function started from with it."""
    digest = hashlib.sha256()
    roots = (
        ("function", FUNCTIONS_DIR / function_folder(name)),
        ("strikeouts", PACKAGE_DIR),
        ("schemas", SCHEMAS_DIR),
    )
    for label, root in roots:
        for path in _tree_files(root):
            digest.update(f"{label}/{path.relative_to(root).as_posix()}\0".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def compile_bytecode(root: Path = PACKAGE_DIR) -> bool:
    """Compile the package's sources under ``root`` to bytecode (``__pycache__`` beside them,
    as installing a package does); only sources changed since are compiled again. Returns
    whether every source compiled.

    Where the environment sets PYTHONDONTWRITEBYTECODE (this machine does, as many container
    images do) no process ever writes the bytecode of a package run from its source tree, so
    every local function instance compiled the strikeouts sources it imported, about 0.1 s of
    CPU, on its start and on its first request; compiled once, they are only loaded.
    """
    return bool(compileall.compile_dir(root, quiet=1))
