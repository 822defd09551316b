"""Build the deployable folder of each function: its main.py and requirements.txt, the
strikeouts package and the schemas vendored in (nothing copied by hand, nothing committed).

Output: ``build/functions/<name>/`` (gitignored) with ``main.py``, ``requirements.txt``,
``strikeouts/`` and ``strikeouts/_schemas/`` (found first by ``strikeouts.settings``).
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from strikeouts.cloud.functions import FUNCTION_NAMES, HTTP_FUNCTIONS
from strikeouts.data.files import TEAM_CODES_FILE
from strikeouts.settings import PROJECT_ROOT, SCHEMAS_DIR, get_settings

GAMEDAY_FUNCTIONS = ("schedule", "results")  # as strikeouts.cloud.gameday (not imported: cheap)

FUNCTIONS_DIR = PROJECT_ROOT / "functions"
PACKAGE_DIR = Path(__file__).resolve().parents[1]
DEFAULT_OUT = PROJECT_ROOT / "build" / "functions"
_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", "_schemas")
# the event functions, plus the scheduled monitoring job (HTTP, not on the local event stack)
DEPLOYED_FUNCTIONS = (*FUNCTION_NAMES, *HTTP_FUNCTIONS, *GAMEDAY_FUNCTIONS)


def package_function(name: str, out_dir: Path = DEFAULT_OUT, data_dir: Path | None = None) -> Path:
    """Assemble ``out_dir/name`` from ``functions/name`` plus the vendored package.

    A game-day function also gets ``data/team_codes.csv`` from ``data_dir`` (its
    ``STRIKEOUTS_DATA_DIR`` is ``data``): the live sources name teams in full.
    """
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
    """Package every function (or ``names``); returns the folders built."""
    return [package_function(name, out_dir) for name in (names or list(DEPLOYED_FUNCTIONS))]


def _tree_files(root: Path) -> list[Path]:
    """Files under ``root`` that packaging copies (caches and vendored schemas left out)."""
    skipped = {"__pycache__", "_schemas"}
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file() and p.suffix != ".pyc" and not skipped & set(p.relative_to(root).parts)
    )


def source_hash(name: str) -> str:
    """sha256 of what ``package_function(name)`` ships from this tree: the function's own
    files, the strikeouts package and the schemas (relative paths included, so a rename
    changes it). `deploy validate` compares what a running function started from with it."""
    digest = hashlib.sha256()
    roots = (
        ("function", FUNCTIONS_DIR / name),
        ("strikeouts", PACKAGE_DIR),
        ("schemas", SCHEMAS_DIR),
    )
    for label, root in roots:
        for path in _tree_files(root):
            digest.update(f"{label}/{path.relative_to(root).as_posix()}\0".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()
