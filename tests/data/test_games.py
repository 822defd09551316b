"""Game ids: Statcast games map to Retrosheet gids (doubleheaders by starters) or get one."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from strikeouts.data.games import match_games, synthesize_game_ids
from strikeouts.data.teams import TeamCodes

TEAMS = TeamCodes(
    from_retro={"NYA": "NYY", "BOS": "BOS", "OAK": "ATH", "ATH": "ATH"},
    from_full_name={},
    to_retro={"NYY": "NYA", "BOS": "BOS", "ATH": "ATH"},
)
DAY = date(2025, 7, 4)


def _games(rows: list[tuple[object, ...]], id_column: str) -> pd.DataFrame:
    frame = pd.DataFrame(
        rows, columns=[id_column, "game_date", "home_team", "away_team", "home_sp", "away_sp"]
    )
    frame["home_sp"] = frame["home_sp"].astype("Int64")
    frame["away_sp"] = frame["away_sp"].astype("Int64")
    return frame


def test_doubleheader_games_match_by_starting_pitchers() -> None:
    retro = _games(
        [("NYA202507041", DAY, "NYY", "BOS", 1, 2), ("NYA202507042", DAY, "NYY", "BOS", 3, 4)],
        "game_id",
    )
    # game_pk order is the reverse of the Retrosheet numbering; one starter differs in game 2.
    statcast = _games([(900, DAY, "NYY", "BOS", 3, 9), (800, DAY, "NYY", "BOS", 1, 2)], "game_pk")
    got = dict(match_games(retro, statcast).itertuples(index=False))
    assert got == {800: "NYA202507041", 900: "NYA202507042"}


def test_single_game_matches_even_when_both_starters_differ() -> None:
    retro = _games([("BOS202507040", DAY, "BOS", "NYY", 1, 2)], "game_id")
    statcast = _games([(700, DAY, "BOS", "NYY", 5, 6)], "game_pk")
    assert match_games(retro, statcast)["game_id"].tolist() == ["BOS202507040"]


def test_no_match_on_other_date_or_teams() -> None:
    retro = _games([("BOS202507040", DAY, "BOS", "NYY", 1, 2)], "game_id")
    statcast = _games(
        [(700, date(2025, 7, 5), "BOS", "NYY", 1, 2), (701, DAY, "BOS", "ATH", 1, 2)], "game_pk"
    )
    assert match_games(retro, statcast).empty


def test_synthesized_ids_number_doubleheaders_by_game_pk() -> None:
    games = pd.DataFrame(
        {
            "game_pk": [5, 3, 4],
            "game_date": [DAY, DAY, DAY],
            "home_team": ["ATH", "ATH", "NYY"],
        }
    )
    ids = synthesize_game_ids(games, TEAMS)
    assert ids.tolist() == ["ATH202507042", "ATH202507041", "NYA202507040"]


def test_synthesized_id_needs_a_retrosheet_code() -> None:
    games = pd.DataFrame({"game_pk": [1], "game_date": [DAY], "home_team": ["XXX"]})
    with pytest.raises(ValueError, match="XXX"):
        synthesize_game_ids(games, TEAMS)
