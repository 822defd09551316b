"""Fetching a season's public Retrosheet CSVs into the data directory.

Invariant: the URL is built in one place (:func:`retrosheet_season_url`); a download either
writes every wanted file (``YYYYgameinfo/teamstats/pitching.csv.gz`` in ``retrosheet/``,
the names :mod:`strikeouts.data.files` expects) or raises :class:`DataFileError` naming the
URL, leaving no partial file behind.
"""

from __future__ import annotations

import gzip
import io
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from strikeouts.data.files import DataFileError

RETROSHEET_DOWNLOADS = "https://www.retrosheet.org/downloads"
RETROSHEET_PARTS = ("gameinfo", "teamstats", "pitching")
OPTIONAL_PARTS = ("pitching",)  # a season can be published before its per-pitcher file
TIMEOUT_SECONDS = 20.0


class _Response(Protocol):
    def read(self) -> bytes: ...


Opener = Callable[[str, float], _Response]


def retrosheet_season_url(season: int) -> str:
    """Retrosheet's per-season CSV archive (holds ``{season}gameinfo.csv`` and friends)."""
    if not 1871 <= season <= 2100:
        raise ValueError(f"season must be a year like 2025, got {season}")
    return f"{RETROSHEET_DOWNLOADS}/{season}/{season}csvs.zip"


def _urlopen(url: str, timeout: float) -> _Response:
    request = urllib.request.Request(url, headers={"User-Agent": "strikeouts-ingest"})
    response: _Response = urllib.request.urlopen(request, timeout=timeout)
    return response


def download_retrosheet_season(
    season: int, data_dir: Path, opener: Opener = _urlopen, timeout: float = TIMEOUT_SECONDS
) -> list[Path]:
    """Fetch ``season``'s gameinfo/teamstats/pitching CSVs into ``data_dir/retrosheet``."""
    url = retrosheet_season_url(season)
    try:
        payload = opener(url, timeout).read()
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        raise DataFileError(
            f"cannot download {url}: {exc}. Check the network, or place "
            f"{season}gameinfo/teamstats/pitching.csv(.gz) in {data_dir / 'retrosheet'} by hand"
        ) from exc
    members = _extract(url, payload, season)
    folder = data_dir / "retrosheet"
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for part, content in members.items():
        target = folder / f"{season}{part}.csv.gz"
        partial = target.with_suffix(".gz.part")
        partial.write_bytes(gzip.compress(content))
        partial.replace(target)
        written.append(target)
    return written


def _extract(url: str, payload: bytes, season: int) -> dict[str, bytes]:
    """The wanted CSVs from the archive; an error names the URL and what was missing."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(payload))
    except zipfile.BadZipFile as exc:
        raise DataFileError(f"{url}: not a zip archive ({exc})") from exc
    names = {Path(n).name.lower(): n for n in archive.namelist()}
    out = {}
    for part in RETROSHEET_PARTS:
        wanted = f"{season}{part}.csv"
        if wanted not in names:
            if part in OPTIONAL_PARTS:
                continue
            raise DataFileError(f"{url}: archive has no {wanted} (has {sorted(names)})")
        out[part] = archive.read(names[wanted])
    return out
