"""The ``games`` table and the one game id every table keys on.

Invariant: ``game_id`` is the Retrosheet gid ``HHHYYYYMMDDN`` (home team's Retrosheet code,
date, doubleheader number). A Statcast game (``game_pk``) is mapped to the Retrosheet game
with the same date, home and away team and, to tell doubleheader games apart, the same
starting pitchers (at least one of the two must agree unless the date/teams pair is unique
on both sides). Statcast games with no Retrosheet game get an id synthesized in the same
format: doubleheader number 0 for a single game, 1/2 by ``game_pk`` order for two games of
the same home team on the same date. Each ``game_pk`` maps to at most one ``game_id`` and
vice versa.
"""

from __future__ import annotations

import pandas as pd

from strikeouts.data.teams import TeamCodes

_SIDE_KEYS = ["game_date", "home_team", "away_team"]


def statcast_games(starts: pd.DataFrame) -> pd.DataFrame:
    """One row per Statcast game: date, teams and both starting pitchers."""
    home = starts[starts["is_home"].fillna(False).astype(bool)]
    away = starts[~starts["is_home"].fillna(False).astype(bool)]
    games = home.rename(
        columns={"team": "home_team", "opponent": "away_team", "pitcher_id": "home_sp"}
    )[["game_pk", "game_date", "season", "home_team", "away_team", "home_sp"]]
    games = games.drop_duplicates("game_pk")
    away_sp = away.drop_duplicates("game_pk").set_index("game_pk")["pitcher_id"]
    games["away_sp"] = games["game_pk"].map(away_sp).astype("Int64")
    return games.reset_index(drop=True)


def retrosheet_starters(teamstats: pd.DataFrame) -> pd.DataFrame:
    """Home and away starting pitchers (MLBAM ``starter_id``) per Retrosheet game."""
    sp = teamstats.assign(sp=teamstats["starter_id"])
    home = sp[sp["is_home"].fillna(False).astype(bool)].drop_duplicates("game_id")
    away = sp[~sp["is_home"].fillna(False).astype(bool)].drop_duplicates("game_id")
    out = home.set_index("game_id")[["sp"]].rename(columns={"sp": "home_sp"})
    out["away_sp"] = away.set_index("game_id")["sp"]
    return out.reset_index()


def match_games(retro: pd.DataFrame, statcast: pd.DataFrame) -> pd.DataFrame:
    """``game_pk`` → Retrosheet ``game_id`` for the Statcast games Retrosheet also has.

    ``retro`` has game_id, game_date, home_team, away_team, home_sp, away_sp; ``statcast``
    has game_pk and the same date/team/starter columns.
    """
    cand = statcast[["game_pk", *_SIDE_KEYS, "home_sp", "away_sp"]].merge(
        retro[["game_id", *_SIDE_KEYS, "home_sp", "away_sp"]],
        on=_SIDE_KEYS,
        suffixes=("_sc", "_rs"),
    )
    if cand.empty:
        return pd.DataFrame({"game_pk": pd.Series(dtype="Int64"), "game_id": pd.Series(dtype=str)})
    score = (cand["home_sp_sc"] == cand["home_sp_rs"]).fillna(False).astype(int) + (
        cand["away_sp_sc"] == cand["away_sp_rs"]
    ).fillna(False).astype(int)
    retro_n = retro.groupby(_SIDE_KEYS).size().rename("retro_n")
    sc_n = statcast.groupby(_SIDE_KEYS).size().rename("sc_n")
    sizes = cand.join(retro_n, on=_SIDE_KEYS).join(sc_n, on=_SIDE_KEYS)
    unique_pair = (sizes["retro_n"] == 1) & (sizes["sc_n"] == 1)
    cand = cand.assign(score=score)[(score >= 1) | unique_pair]
    cand = cand.sort_values(["score", "game_pk"], ascending=[False, True])
    cand = cand.drop_duplicates("game_pk").drop_duplicates("game_id")
    return cand[["game_pk", "game_id"]].reset_index(drop=True)


def synthesize_game_ids(games: pd.DataFrame, teams: TeamCodes) -> pd.Series:
    """Retrosheet-format ids for Statcast games (game_pk, game_date, home_team), by position."""
    order = games.sort_values("game_pk")
    n_same_day = order.groupby(["home_team", "game_date"])["game_pk"].transform("size")
    rank = order.groupby(["home_team", "game_date"]).cumcount() + 1
    number = rank.where(n_same_day > 1, 0)
    retro_home = order["home_team"].map(teams.to_retro)
    if bool(retro_home.isna().any()):
        unknown = sorted(set(order.loc[retro_home.isna(), "home_team"]))
        raise ValueError(f"no Retrosheet code for team(s) {unknown} in team_codes.csv")
    day = pd.to_datetime(order["game_date"]).dt.strftime("%Y%m%d")
    ids = retro_home + day + number.astype(str)
    return ids.reindex(games.index)


def doubleheader_numbers(game_ids: pd.Series) -> pd.Series:
    """The doubleheader digit at the end of each game id."""
    return game_ids.str[-1].astype("Int64")


def build_games(
    gameinfo: pd.DataFrame, sc_games: pd.DataFrame, game_map: pd.DataFrame, teams: TeamCodes
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows of ``games`` and the full ``game_pk`` → ``game_id`` map (matched + synthesized)."""
    pk_of = game_map.set_index("game_id")["game_pk"]
    retro = gameinfo.drop_duplicates("game_id").copy()
    retro["game_pk"] = retro["game_id"].map(pk_of).astype("Int64")
    retro["game_type"] = "regular"
    retro["source"] = "retrosheet"
    only = sc_games[~sc_games["game_pk"].isin(game_map["game_pk"])].copy()
    only["game_id"] = synthesize_game_ids(only, teams)
    # A synthesized id equal to an existing gid would be a Retrosheet game we failed to match;
    # it must not replace that game, so the clash keeps the Retrosheet row and is reported.
    clash = only["game_id"].isin(retro["game_id"])
    only = only[~clash]
    only["doubleheader"] = doubleheader_numbers(only["game_id"])
    only["game_type"] = "regular"
    only["source"] = "statcast"
    games = pd.concat(
        [retro, only.drop(columns=["home_sp", "away_sp"])], ignore_index=True, sort=False
    )
    full_map = pd.concat([game_map, only[["game_pk", "game_id"]]], ignore_index=True)
    return games, full_map
