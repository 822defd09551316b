"""Retrosheet season download: URL construction, offline message, archive handling."""

from __future__ import annotations

import gzip
import io
import urllib.error
import zipfile
from pathlib import Path

import pytest

from strikeouts.data.download import download_retrosheet_season, retrosheet_season_url
from strikeouts.data.files import DataFileError, files_of


class _Reply:
    def __init__(self, payload: bytes) -> None:
        self.payload = payload

    def read(self) -> bytes:
        return self.payload


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return out.getvalue()


def test_url_for_a_season() -> None:
    assert retrosheet_season_url(2025) == "https://www.retrosheet.org/downloads/2025/2025csvs.zip"


def test_url_rejects_a_non_season() -> None:
    with pytest.raises(ValueError, match="25"):
        retrosheet_season_url(25)


def test_offline_error_names_the_url(tmp_path: Path) -> None:
    def offline(url: str, timeout: float) -> _Reply:
        raise urllib.error.URLError("Temporary failure in name resolution")

    with pytest.raises(
        DataFileError,
        match=r"cannot download https://www\.retrosheet\.org/"
        r"downloads/2025/2025csvs\.zip: .*name resolution",
    ):
        download_retrosheet_season(2025, tmp_path, opener=offline)
    assert not (tmp_path / "retrosheet").exists()


def test_archive_members_land_where_ingest_finds_them(tmp_path: Path) -> None:
    seen: list[tuple[str, float]] = []
    payload = _zip(
        {"2025gameinfo.csv": b"gid\n1\n", "2025teamstats.csv": b"gid\n2\n", "2025plays.csv": b"x\n"}
    )

    def opener(url: str, timeout: float) -> _Reply:
        seen.append((url, timeout))
        return _Reply(payload)

    written = download_retrosheet_season(2025, tmp_path, opener=opener, timeout=3.0)
    assert seen == [(retrosheet_season_url(2025), 3.0)]
    assert files_of(tmp_path, "retrosheet_gameinfo") == [
        tmp_path / "retrosheet/2025gameinfo.csv.gz"
    ]
    assert sorted(written) == sorted(
        files_of(tmp_path, "retrosheet_gameinfo") + files_of(tmp_path, "retrosheet_teamstats")
    )
    assert gzip.decompress(written[0].read_bytes()) == b"gid\n1\n"


def test_archive_without_a_wanted_member_names_it(tmp_path: Path) -> None:
    payload = _zip({"2025gameinfo.csv": b"gid\n"})
    with pytest.raises(DataFileError, match=r"no 2025teamstats\.csv"):
        download_retrosheet_season(2025, tmp_path, opener=lambda url, timeout: _Reply(payload))


def test_not_a_zip_names_the_url(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match=r"2024csvs\.zip: not a zip"):
        download_retrosheet_season(
            2024, tmp_path, opener=lambda url, timeout: _Reply(b"<html>404</html>")
        )
