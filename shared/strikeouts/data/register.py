"""The Chadwick Register: MLBAM ↔ Retrosheet ↔ BBRef/FanGraphs ids and names (``players``).

Invariant: every row has an MLBAM id; a register row without one cannot key a warehouse
row and is recorded as a rejection, never dropped silently.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from strikeouts.data.rejections import Rejections
from strikeouts.data.tables import read_csv

_TEXT = ["key_mlbam", "key_retro", "key_bbref", "key_fangraphs", "name_first", "name_last",
         "name_given", "name_suffix", "name_nick", "birth_year", "birth_month", "birth_day",
         "mlb_played_first", "mlb_played_last"]  # fmt: skip


def load_register(paths: list[Path], rejections: Rejections) -> pd.DataFrame:
    """Rows of the ``players`` table from every register file (first file wins on an id)."""
    frames = [_players_from(path, rejections) for path in paths]
    if not frames:
        return pd.DataFrame(columns=["player_id"])
    players = pd.concat(frames, ignore_index=True)
    return players.drop_duplicates(subset=["player_id"], keep="first").reset_index(drop=True)


def _players_from(path: Path, rejections: Rejections) -> pd.DataFrame:
    raw = read_csv(path, columns=_TEXT)
    mlbam = pd.to_numeric(raw["key_mlbam"], errors="coerce")
    bad = mlbam.isna()
    rejections.add_frame(path, raw[bad], "key_mlbam", "missing or non-numeric MLBAM id", "players")
    ok = raw[~bad]
    first = ok["name_first"].fillna("").str.strip()
    last = ok["name_last"].fillna("").str.strip()
    suffix = ok["name_suffix"].fillna("").str.strip()
    full = (first + " " + last).str.strip()
    full = full.where(suffix == "", full + " " + suffix)
    birth = pd.to_datetime(
        {
            "year": pd.to_numeric(ok["birth_year"], errors="coerce"),
            "month": pd.to_numeric(ok["birth_month"], errors="coerce"),
            "day": pd.to_numeric(ok["birth_day"], errors="coerce"),
        },
        errors="coerce",
    )
    return pd.DataFrame(
        {
            "player_id": mlbam[~bad].astype("int64"),
            "retro_id": ok["key_retro"],
            "bbref_id": ok["key_bbref"],
            "fangraphs_id": ok["key_fangraphs"],
            "name_first": ok["name_first"],
            "name_last": ok["name_last"],
            "name_given": ok["name_given"],
            "name_suffix": ok["name_suffix"],
            "name_nick": ok["name_nick"],
            "full_name": full,
            "birth_date": birth.dt.date.where(birth.notna(), None),
            "mlb_played_first": pd.to_numeric(ok["mlb_played_first"], errors="coerce").astype(
                "Int64"
            ),
            "mlb_played_last": pd.to_numeric(ok["mlb_played_last"], errors="coerce").astype(
                "Int64"
            ),
        }
    ).reset_index(drop=True)


def retro_crosswalk(players: pd.DataFrame) -> pd.Series:
    """Retrosheet id → MLBAM id (Int64) for every player that has both."""
    known = players[players["retro_id"].notna()].drop_duplicates("retro_id")
    return pd.Series(
        known["player_id"].astype("Int64").to_numpy(), index=known["retro_id"].astype(str)
    )
