"""``strikeouts package-functions``: the game-day functions carry the team codes they need, and
every registered system is deployable from the one predict_system folder."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import pytest

from strikeouts.cloud.functions import SYSTEM_FOLDER, function_environment, function_folder
from strikeouts.devstack.packaging import (
    FOLDERS,
    PACKAGE_DIR,
    compile_bytecode,
    deployed_functions,
    package_function,
    source_hash,
    write_systems,
)
from strikeouts.models.systems import SYSTEMS, SystemSpec, get_system, system_ids


@pytest.mark.data
def test_gameday_function_folder_has_its_team_codes(data_dir: Path, tmp_path: Path) -> None:
    folder = package_function("results", tmp_path, data_dir)
    assert (folder / "main.py").is_file() and (folder / "requirements.txt").is_file()
    assert (folder / "data" / "team_codes.csv").read_bytes() == (
        data_dir / "team_codes.csv"
    ).read_bytes()
    assert (folder / "strikeouts" / "_schemas" / "messages" / "gameday-trigger.v1.json").is_file()
    assert "httpx==" in (folder / "requirements.txt").read_text()


def test_pipeline_functions_need_no_data_and_gameday_ones_name_what_is_missing(
    tmp_path: Path,
) -> None:
    assert not (package_function("fanout", tmp_path, tmp_path / "nowhere") / "data").exists()
    with pytest.raises(FileNotFoundError, match=r"nowhere/team_codes\.csv"):
        package_function("schedule", tmp_path, tmp_path / "nowhere")


def test_every_system_function_is_packaged_from_one_folder_with_the_registry_ids(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A system added to the registry alone is packaged: no folder of its own, and its id is in
    the systems.json Terraform reads (infra/variables.tf)."""
    spec = SystemSpec("zz_throwaway", get_system("v1_baseline").feature_set, "reg:tweedie")
    monkeypatch.setitem(SYSTEMS, spec.system_id, spec)
    folders = {function_folder(name) for name in deployed_functions()}
    assert folders == set(FOLDERS) and "predict_zz_throwaway" in deployed_functions()
    assert package_function("predict_zz_throwaway", tmp_path) == tmp_path / SYSTEM_FOLDER
    assert function_environment("predict_zz_throwaway") == {"STRIKEOUTS_SYSTEM_ID": "zz_throwaway"}
    written = json.loads(write_systems(tmp_path).read_text())
    assert written == {"systems": system_ids()} and "zz_throwaway" in written["systems"]
    # the tree hash `deploy validate` compares is the shared folder's
    assert source_hash("predict_zz_throwaway") == source_hash("predict_v1_baseline")


def test_compile_bytecode_leaves_every_source_loadable_as_bytecode(tmp_path: Path) -> None:
    package = tmp_path / "strikeouts"
    shutil.copytree(PACKAGE_DIR, package, ignore=shutil.ignore_patterns("__pycache__"))
    sources = sorted(package.rglob("*.py"))
    assert len(sources) > 100
    assert compile_bytecode(package)
    missing = [s for s in sources if not Path(importlib.util.cache_from_source(str(s))).is_file()]
    assert missing == []
