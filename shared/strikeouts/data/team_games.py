"""The ``team_games`` table: one row per team per regular-season game (batting side).

Invariant: rows come only from Retrosheet teamstats (team batting PA/K, the starting lineup
and the starting pitcher), so a season without teamstats (2026, Statcast-only) has no
``team_games`` rows: Statcast starts carry no team batting line to build them from.
``pitches_thrown`` comes from retrosplits (``evt`` rows) and is NULL where it has no
game. Lineup and starter ids are MLBAM ids through the register; an unmapped lineup id is
left out of ``lineup_ids`` (kept in ``lineup_retro_ids``) and an unmapped starter is NULL.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from strikeouts.data.retrosheet import LINEUP


def build_team_games(
    teamstats: pd.DataFrame, team_pitches: pd.DataFrame, retro_to_mlbam: pd.Series
) -> pd.DataFrame:
    """Rows of ``team_games`` from checked teamstats and retrosplits pitch counts."""
    rows = teamstats.drop_duplicates(["game_id", "team"]).reset_index(drop=True)
    pitches = team_pitches.drop_duplicates(["game_id", "team"])
    rows = rows.merge(pitches, on=["game_id", "team"], how="left")
    retro_ids = rows[LINEUP].to_numpy(dtype=object)
    mlbam = rows[LINEUP].apply(lambda col: col.map(retro_to_mlbam)).to_numpy(dtype="float64")
    known = ~np.isnan(mlbam)
    return pd.DataFrame(
        {
            "game_id": rows["game_id"],
            "game_date": rows["game_date"],
            "season": rows["season"],
            "team": rows["team"],
            "opponent": rows["opponent"],
            "is_home": rows["is_home"],
            "plate_appearances": rows["plate_appearances"],
            "strikeouts": rows["strikeouts"],
            "pitches_thrown": rows["pitches_thrown"],
            "starting_pitcher_id": rows["starter_id"],
            "lineup_ids": [[int(v) for v in ids[ok]] for ids, ok in zip(mlbam, known, strict=True)],
            "lineup_retro_ids": [[str(v) for v in ids if isinstance(v, str)] for ids in retro_ids],
        }
    )
