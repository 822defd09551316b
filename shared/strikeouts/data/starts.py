"""The ``pitcher_starts`` table: one row per regular-season start, keyed (game_id, pitcher_id).

Precedence, per season:

* A season with a Retrosheet pitching file (2021-2024) takes its starts from it
  (``p_gs = 1``, regular season): Retrosheet decides who started and the counting stats.
  Where Statcast has the same start (same game via ``game_pk`` → ``game_id`` and same MLBAM
  pitcher) the row gains Statcast's ``pitches`` and ``tto_max`` and its source is
  ``retrosheet+statcast``; otherwise ``retrosheet`` (pitches NULL: Retrosheet has none).
  Statcast starts with no Retrosheet counterpart in such a season are not added (counted
  in the cross-checks instead).
* A season without a Retrosheet pitching file (2025, 2026) takes its starts from Statcast
  (source ``statcast``). Where Retrosheet teamstats exist (2025), each start is
  cross-checked against the team's ``start_f1``; disagreements are counted, not resolved.

Invariant: every row has an MLBAM ``pitcher_id`` and a ``game_id`` present in ``games``;
no (game_id, pitcher_id) appears twice.
"""

from __future__ import annotations

import pandas as pd

_COLUMNS = [
    "game_date",
    "season",
    "game_id",
    "game_pk",
    "pitcher_id",
    "retro_id",
    "pitcher_name",
    "team",
    "opponent",
    "is_home",
    "strikeouts",
    "outs",
    "batters_faced",
    "walks",
    "hits",
    "earned_runs",
    "runs",
    "pitches",
    "tto_max",
    "source",
]


def build_pitcher_starts(
    pitching: pd.DataFrame,
    statcast: pd.DataFrame,
    game_map: pd.DataFrame,
    teamstats: pd.DataFrame,
    players: pd.DataFrame,
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Rows of ``pitcher_starts`` and the cross-check counts (see the module docstring)."""
    retro_seasons = set(pitching["season"].dropna().astype(int))
    sc = statcast.merge(game_map, on="game_pk", how="left")
    checks: dict[str, int] = {"statcast_starts_without_game_id": int(sc["game_id"].isna().sum())}
    sc = sc[sc["game_id"].notna()]
    in_retro = sc["season"].isin(retro_seasons)

    retro = pitching[pitching["is_start"].astype(bool)].drop_duplicates(["game_id", "pitcher_id"])
    retro = retro.assign(game_pk=retro["game_id"].map(game_map.set_index("game_id")["game_pk"]))
    enrich = sc[in_retro][["game_id", "pitcher_id", "pitches", "tto_max", "strikeouts", "outs"]]
    joined = retro.merge(
        enrich.drop_duplicates(["game_id", "pitcher_id"]),
        on=["game_id", "pitcher_id"],
        how="left",
        suffixes=("", "_sc"),
        indicator=True,
    )
    shared = joined["_merge"] == "both"
    joined["source"] = shared.map({True: "retrosheet+statcast", False: "retrosheet"})
    checks["shared_starts"] = int(shared.sum())
    checks["shared_strikeouts_disagree"] = int(
        (joined["strikeouts"] != joined["strikeouts_sc"])[shared].sum()
    )
    checks["shared_outs_disagree"] = int((joined["outs"] != joined["outs_sc"])[shared].sum())
    retro_keys = pd.MultiIndex.from_frame(retro[["game_id", "pitcher_id"]])
    sc_keys = pd.MultiIndex.from_frame(sc[in_retro][["game_id", "pitcher_id"]])
    checks["statcast_starts_not_in_retrosheet"] = int((~sc_keys.isin(retro_keys)).sum())

    only = sc[~in_retro].drop_duplicates(["game_id", "pitcher_id"]).assign(source="statcast")
    checks["starter_disagreements"] = _starter_disagreements(only, teamstats)
    starts = pd.concat([joined, only], ignore_index=True, sort=False)
    names = players.set_index("player_id")
    starts["pitcher_name"] = starts["pitcher_id"].map(names["full_name"])
    starts["retro_id"] = starts["retro_id"].fillna(starts["pitcher_id"].map(names["retro_id"]))
    return starts[_COLUMNS].reset_index(drop=True), checks


def _starter_disagreements(statcast: pd.DataFrame, teamstats: pd.DataFrame) -> int:
    """Statcast starts whose game has teamstats naming a different starter for that team."""
    named = teamstats[["game_id", "team", "starter_id"]].drop_duplicates(["game_id", "team"])
    both = statcast.merge(named, on=["game_id", "team"], how="inner")
    return int((both["pitcher_id"] != both["starter_id"]).fillna(True).sum())
