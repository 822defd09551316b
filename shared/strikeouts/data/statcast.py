"""Statcast-derived starts (one row per regular-season start, MLBAM ids), checked.

Invariant: every row that comes out has a numeric ``game_pk`` and MLBAM ``pitcher_id``, a
valid date, canonical team codes and non-negative integer counts; anything else is a
rejection. A start is the pitcher of the first plate appearance of each half of inning 1.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from strikeouts.data.checks import RowChecks
from strikeouts.data.files import KINDS
from strikeouts.data.rejections import Rejections
from strikeouts.data.tables import read_csv
from strikeouts.data.teams import TeamCodes

_OPTIONAL_COUNTS = {
    "batters_faced": "bf",
    "pitches": "pitches",
    "walks": "walks",
    "hits": "hits",
    "runs": "runs_allowed",
    "tto_max": "tto_max",
}


def read_statcast_starts(path: Path, teams: TeamCodes, rejections: Rejections) -> pd.DataFrame:
    """Every start in one Statcast starts file."""
    raw = read_csv(path, list(KINDS["statcast_starts"].required_columns))
    checks = RowChecks(raw, path, rejections, "pitcher_starts")
    canonical = {code: code for code in teams.canonical}
    date = checks.date("game_date", "%Y-%m-%d")
    out = pd.DataFrame(
        {
            "game_pk": checks.numeric_id("game_pk", "MLBAM game id"),
            "game_date": date.dt.date,
            "season": date.dt.year.astype("Int64"),
            "pitcher_id": checks.numeric_id("pitcher"),
            "team": checks.team("pitcher_team", canonical),
            "opponent": checks.team("opponent_team", canonical),
            "is_home": checks.boolean("is_home", "true", "false"),
            "strikeouts": checks.count("strikeouts"),
            "outs": checks.count("outs"),
        }
    )
    for column, source in _OPTIONAL_COUNTS.items():
        out[column] = checks.count(source, required=False) if source in raw else pd.NA
    out = out.assign(_line=raw["_line"], _raw=raw["_raw"], source_file=str(path))
    return out[checks.good()].reset_index(drop=True)
