"""``strikeouts package-functions``: the game-day functions carry the team codes they need."""

from __future__ import annotations

from pathlib import Path

import pytest

from strikeouts.devstack.packaging import package_function


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
