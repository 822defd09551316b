"""Where each kind of raw file lives in the data directory, and what it must look like.

A new period is added by dropping another file of the same kind into its folder.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from strikeouts.errors import StrikeoutsError


class DataFileError(StrikeoutsError, RuntimeError):
    """A raw data file is missing, unreadable or not of the kind expected."""


@dataclass(frozen=True)
class FileKind:
    """One kind of raw file: its folder, its name pattern and the columns it must have."""

    name: str
    folder: str
    pattern: re.Pattern[str]
    required_columns: tuple[str, ...]
    description: str

    def describe(self) -> str:
        return f"{self.folder}/{self.pattern.pattern} ({self.description})"


KINDS: dict[str, FileKind] = {
    k.name: k
    for k in (
        FileKind(
            "retrosheet_pitching",
            "retrosheet",
            re.compile(r"^(?P<season>\d{4})pitching\.csv(\.gz)?$"),
            ("gid", "id", "team", "opp", "vishome", "date", "p_gs", "p_k", "p_ipouts", "gametype"),
            "Retrosheet per-pitcher game lines",
        ),
        FileKind(
            "retrosheet_teamstats",
            "retrosheet",
            re.compile(r"^(?P<season>\d{4})teamstats\.csv(\.gz)?$"),
            ("gid", "team", "opp", "vishome", "date", "b_pa", "b_k", "start_f1", "gametype"),
            "Retrosheet per-team game lines",
        ),
        FileKind(
            "retrosheet_gameinfo",
            "retrosheet",
            re.compile(r"^(?P<season>\d{4})gameinfo\.csv(\.gz)?$"),
            ("gid", "visteam", "hometeam", "site", "date", "number", "umphome", "gametype"),
            "Retrosheet game information",
        ),
        FileKind(
            "retrosplits_teams",
            "retrosplits",
            re.compile(r"^teams-(?P<season>\d{4})\.csv(\.gz)?$"),
            ("game.key", "game.source", "season.phase", "team.key", "P_PITCH"),
            "Chadwick retrosplits team day-by-day",
        ),
        FileKind(
            "register",
            "register",
            re.compile(r"^people.*\.csv(\.gz)?$"),
            ("key_mlbam", "key_retro", "name_first", "name_last"),
            "Chadwick Register people",
        ),
        FileKind(
            "statcast_starts",
            "statcast",
            re.compile(r"^starts_.*\.csv(\.gz)?$"),
            (
                "game_pk",
                "game_date",
                "pitcher",
                "pitcher_team",
                "opponent_team",
                "is_home",
                "strikeouts",
                "outs",
            ),
            "Statcast-derived starts",
        ),
        FileKind(
            "prop_lines",
            "lines",
            re.compile(r"^strikeout_props_.*\.csv(\.gz)?$"),
            (
                "game_date",
                "event_id",
                "home_team",
                "away_team",
                "pitcher_name",
                "open_line",
                "close_line",
            ),
            "sportsbook strikeout prop lines",
        ),
    )
}

TEAM_CODES_FILE = "team_codes.csv"


def files_of(data_dir: Path, kind: str) -> list[Path]:
    """Every file of ``kind`` in ``data_dir``, sorted; an error names what was expected."""
    spec = KINDS[kind]
    if not data_dir.is_dir():
        raise DataFileError(
            f"data directory {data_dir} does not exist: set --data-dir or STRIKEOUTS_DATA_DIR "
            "to the folder holding retrosheet/, statcast/, lines/, register/"
        )
    folder = data_dir / spec.folder
    found = (
        sorted(p for p in folder.glob("*") if spec.pattern.match(p.name)) if folder.is_dir() else []
    )
    return found


def unknown_files(data_dir: Path) -> list[Path]:
    """Files in the known folders that match no known kind (reported, never guessed at)."""
    folders = {k.folder for k in KINDS.values()}
    out = []
    for folder in sorted(folders):
        for p in sorted((data_dir / folder).glob("*")) if (data_dir / folder).is_dir() else []:
            if p.is_file() and not any(
                k.folder == folder and k.pattern.match(p.name) for k in KINDS.values()
            ):
                out.append(p)
    return out
