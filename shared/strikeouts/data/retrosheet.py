"""Retrosheet season CSVs (pitching, teamstats, gameinfo) and retrosplits team lines, checked.

Invariant: only regular-season rows come out (``gametype`` compared case-insensitively;
retrosplits ``season.phase == 'R'`` and ``game.source == 'evt'``), team codes are the
canonical MLB/Statcast ones, and every malformed regular-season row is a rejection, never a
silent drop. Text Retrosheet player ids are returned as they are; mapping them to MLBAM ids
is the builders' job.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from strikeouts.data.checks import RowChecks
from strikeouts.data.files import KINDS
from strikeouts.data.rejections import Rejections
from strikeouts.data.tables import read_csv
from strikeouts.data.teams import TeamCodes

REGULAR = "regular"
RETRO_DATE = "%Y%m%d"
LINEUP = [f"start_l{i}" for i in range(1, 10)]
TRACE = ["_line", "_raw", "source_file"]
PITCHING_COLUMNS = ["game_id", "game_date", "season", "team", "opponent", "is_home", "retro_id",
                    "is_start", "pitcher_id", "strikeouts", "outs", "batters_faced", "walks",
                    "hits", "earned_runs", "runs", *TRACE]  # fmt: skip
TEAM_PITCHES_COLUMNS = ["game_id", "team", "pitches_thrown", *TRACE]


def _regular(raw: pd.DataFrame) -> pd.DataFrame:
    return raw[raw["gametype"].str.strip().str.lower() == REGULAR]


def _common(
    raw: pd.DataFrame, checks: RowChecks, teams: TeamCodes
) -> dict[str, pd.Series | pd.DataFrame]:
    """The columns every per-team Retrosheet file shares: gid, date, team, opponent, side."""
    date = checks.date("date", RETRO_DATE)
    return {
        "game_id": checks.required("gid"),
        "game_date": date.dt.date,
        "season": date.dt.year.astype("Int64"),
        "team": checks.team("team", teams.from_retro),
        "opponent": checks.team("opp", teams.from_retro),
        "is_home": checks.boolean("vishome", "h", "v"),
    }


def _traced(out: pd.DataFrame, raw: pd.DataFrame, path: Path) -> pd.DataFrame:
    """``out`` with the file, line and raw text of each row, for later rejections."""
    return out.assign(_line=raw["_line"], _raw=raw["_raw"], source_file=str(path))


def read_pitching(
    path: Path, teams: TeamCodes, retro_to_mlbam: pd.Series, rejections: Rejections
) -> pd.DataFrame:
    """Every regular-season pitcher line of one ``YYYYpitching`` file, with MLBAM ids.

    A starter whose Retrosheet id is not in the register is rejected (a start must be keyed
    by an MLBAM id); relievers keep a NULL ``pitcher_id``.
    """
    raw = _regular(read_csv(path, list(KINDS["retrosheet_pitching"].required_columns)))
    checks = RowChecks(raw, path, rejections, "pitcher_starts")
    out = pd.DataFrame(_common(raw, checks, teams))
    out["retro_id"] = checks.required("id")
    out["is_start"] = checks.count("p_gs", required=False).fillna(0) == 1
    out["pitcher_id"] = raw["id"].map(retro_to_mlbam).astype("Int64")
    checks.reject(
        out["is_start"] & out["pitcher_id"].isna(),
        "id",
        "starting pitcher's Retrosheet id is not in the register (no MLBAM id)",
    )
    out["strikeouts"] = checks.count("p_k")
    out["outs"] = checks.count("p_ipouts")
    for column, source in [
        ("batters_faced", "p_bfp"),
        ("walks", "p_w"),
        ("hits", "p_h"),
        ("earned_runs", "p_er"),
        ("runs", "p_r"),
    ]:
        out[column] = checks.count(source, required=False) if source in raw else pd.NA
    return _traced(out, raw, path)[checks.good()].reset_index(drop=True)


def read_teamstats(path: Path, teams: TeamCodes, rejections: Rejections) -> pd.DataFrame:
    """Every regular-season team line of one ``YYYYteamstats`` file (batting, lineup, starter)."""
    raw = _regular(read_csv(path, list(KINDS["retrosheet_teamstats"].required_columns)))
    checks = RowChecks(raw, path, rejections, "team_games")
    out = pd.DataFrame(_common(raw, checks, teams))
    out["plate_appearances"] = checks.count("b_pa")
    out["strikeouts"] = checks.count("b_k")
    out["starter_retro_id"] = checks.required("start_f1")
    for column in LINEUP:
        out[column] = raw.get(column, pd.NA)
    return _traced(out, raw, path)[checks.good()].reset_index(drop=True)


def read_gameinfo(path: Path, teams: TeamCodes, rejections: Rejections) -> pd.DataFrame:
    """Every regular-season game of one ``YYYYgameinfo`` file, with park, umpire and weather."""
    raw = _regular(read_csv(path, list(KINDS["retrosheet_gameinfo"].required_columns)))
    checks = RowChecks(raw, path, rejections, "games")
    date = checks.date("date", RETRO_DATE)
    out = pd.DataFrame(
        {
            "game_id": checks.required("gid"),
            "game_date": date.dt.date,
            "season": date.dt.year.astype("Int64"),
            "doubleheader": checks.count("number"),
            "home_team": checks.team("hometeam", teams.from_retro),
            "away_team": checks.team("visteam", teams.from_retro),
            "park_id": raw["site"],
            "umpire_home": raw["umphome"],
        }
    )
    out["day_night"] = raw["daynight"].str.lower() if "daynight" in raw else pd.NA
    out["used_dh"] = (
        raw["usedh"].str.lower().map({"true": True, "false": False}).astype("boolean")
        if "usedh" in raw
        else pd.NA
    )
    # Retrosheet writes 0 for an unknown temperature and -1 for an unknown wind speed.
    out["temperature"] = (
        checks.count("temp", required=False, unknown="0") if "temp" in raw else pd.NA
    )
    out["wind_speed"] = (
        checks.count("windspeed", required=False, unknown="-1") if "windspeed" in raw else pd.NA
    )
    return _traced(out, raw, path)[checks.good()].reset_index(drop=True)


def read_team_pitches(path: Path, teams: TeamCodes, rejections: Rejections) -> pd.DataFrame:
    """Team pitch counts per regular-season game from one retrosplits ``teams-YYYY`` file."""
    raw = read_csv(path, list(KINDS["retrosplits_teams"].required_columns))
    raw = raw[(raw["game.source"] == "evt") & (raw["season.phase"] == "R")]
    checks = RowChecks(raw, path, rejections, "team_games")
    out = pd.DataFrame(
        {
            "game_id": checks.required("game.key"),
            "team": checks.team("team.key", teams.from_retro),
            "pitches_thrown": checks.count("P_PITCH", required=False),
        }
    )
    return _traced(out, raw, path)[checks.good()].reset_index(drop=True)
