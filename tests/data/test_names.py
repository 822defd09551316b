"""Name normalization and name → player resolution (real register rows, tiny hand-made starts)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from strikeouts.data.names import NICKNAMES, parse_full_name, parse_parts, tokens
from strikeouts.data.names_match import (
    AMBIGUOUS,
    NO_CANDIDATE,
    NO_GAME,
    NO_START,
    OUTSIDE_STARTS,
    RESOLVED_BY_SEASON,
    RESOLVED_BY_START,
    UNMATCHED,
    match_pitchers,
)
from strikeouts.data.register import load_register
from strikeouts.data.rejections import Rejections

DAY = date(2025, 7, 1)


@pytest.mark.parametrize(
    ("feed", "register"),
    [
        ("Jose Urena", ("José", "Ureña")),
        ("J.T. Realmuto", ("J. T.", "Realmuto")),
        ("JT Ginn", ("J. T.", "Ginn")),
        ("C. J. Kayfus", ("CJ", "Kayfus")),
        ("Ronald Acuna Jr.", ("Ronald", "Acuña")),
        ("Michael Harris II", ("Michael", "Harris")),
        ("Isiah Kiner Falefa", ("Isiah", "Kiner-Falefa")),
        ("Logan OHoppe", ("Logan", "O'Hoppe")),
        ("max muncy (2002)", ("Max", "Muncy")),
    ],
)
def test_spelling_variants_share_a_key(feed: str, register: tuple[str, str]) -> None:
    assert parse_full_name(feed).key == parse_parts(*register).key


def test_different_people_keep_different_keys() -> None:
    assert parse_full_name("Luis Garcia").key != parse_full_name("Luis Gracia").key
    assert parse_full_name("Will Smith").key != parse_full_name("Josh Smith").key


def test_tokens_join_initials_and_cut_trailing_suffixes_only() -> None:
    assert tokens("A. J. Minter") == ["aj", "minter"]
    assert tokens("Vladimir Guerrero Jr.") == ["vladimir", "guerrero"]
    assert tokens("Lance McCullers III") == ["lance", "mccullers"]
    assert tokens(None) == []


def test_birth_year_hint_is_parsed() -> None:
    assert parse_full_name("Max Muncy (2002)").birth_year == 2002
    assert parse_full_name("Max Muncy").birth_year is None


@pytest.mark.parametrize(
    ("short", "long"),
    [("matt", "matthew"), ("mike", "michael"), ("zack", "zachary"), ("zach", "zachary"),
     ("dan", "daniel"), ("danny", "daniel"), ("nick", "nicholas"), ("josh", "joshua"),
     ("chris", "christopher"), ("jake", "jacob"), ("sam", "samuel")],
)  # fmt: skip
def test_nickname_table_maps_variants_to_one_form(short: str, long: str) -> None:
    assert NICKNAMES[short] == NICKNAMES[long]
    assert parse_full_name(f"{short} Boyd").nickname_key == parse_parts(long, "Boyd").nickname_key


# -- resolution against the real register --------------------------------------------------


@pytest.fixture(scope="module")
def players(data_dir: Path) -> pd.DataFrame:
    return load_register(sorted((data_dir / "register").glob("people*.csv*")), Rejections())


def _query(names: list[str], day: date = DAY, home: str = "HOU", away: str = "SEA") -> pd.DataFrame:
    return pd.DataFrame(
        {"pitcher_name": names, "game_date": day, "home_team": home, "away_team": away}
    )


NO_STARTS = pd.DataFrame(
    {"game_date": [date(2021, 4, 1), date(2026, 5, 31)], "pitcher_id": [1, 1],
     "team": ["ZZZ", "ZZZ"], "game_id": ["g0", "g1"]}
)  # fmt: skip


@pytest.mark.parametrize(
    ("feed", "player_id", "method"),
    [
        ("Mike King", 650633, "exact"),
        ("Cristopher Sanchez", 650911, "normalized"),
        ("J.T. Realmuto", 592663, "normalized"),
        ("Matthew Boyd", 571510, "given_name"),
        ("Samuel Aldegheri", 691951, "given_name"),
        ("Jake Latz", 656641, "nickname"),
        ("Ronald Acuna Jr.", 660670, "normalized"),
        ("Daniel Davis", 669721, "swapped_order"),  # the register's Davis Daniel
    ],
)
def test_real_register_names_resolve(
    players: pd.DataFrame, feed: str, player_id: int, method: str
) -> None:
    got = match_pitchers(_query([feed]), players, NO_STARTS).iloc[0]
    assert (got["player_id"], got["match_method"]) == (player_id, method)
    # The register knows him but the toy starts do not: the reason says so.
    assert got["unmatched_reason"] == NO_GAME


def test_birth_year_picks_the_younger_max_muncy(players: pd.DataFrame) -> None:
    both = players[players["full_name"] == "Max Muncy"]
    assert len(both) == 2  # the register really has two
    got = match_pitchers(_query(["Max Muncy (2002)", "Max Muncy"]), players, NO_STARTS)
    assert got["player_id"].iloc[0] == 691777
    assert got["match_method"].iloc[0] == "normalized"
    # Without the hint both are active in 2025: nothing to choose by.
    assert (got["match_method"].iloc[1], got["unmatched_reason"].iloc[1]) == (
        UNMATCHED,
        NO_GAME,
    )


def test_real_same_name_resolved_by_the_start(players: pd.DataFrame) -> None:
    eurys = players.loc[players["full_name"] == "Eury Pérez", "player_id"].tolist()
    assert len(eurys) == 2
    starts = pd.DataFrame(
        {"game_date": [DAY], "pitcher_id": [691587], "team": ["MIA"], "game_id": ["gm1"]}
    )
    got = match_pitchers(_query(["Eury Perez"], home="MIA", away="NYM"), players, starts)
    assert got.iloc[0].to_dict() == {
        "player_id": 691587,
        "match_method": RESOLVED_BY_START,
        "game_id": "gm1",
        "unmatched_reason": None,
    }


def test_unknown_name_is_kept_unmatched(players: pd.DataFrame) -> None:
    got = match_pitchers(_query(["Zzyzx Qwertyuiop"]), players, NO_STARTS).iloc[0]
    assert pd.isna(got["player_id"])
    assert got["match_method"] == UNMATCHED
    assert got["unmatched_reason"] in (NO_CANDIDATE, NO_GAME)


# -- same-name logic on hand-made frames ---------------------------------------------------


def _players(rows: list[tuple[int, str, str, int, int]]) -> pd.DataFrame:
    frame = pd.DataFrame(
        rows,
        columns=["player_id", "name_first", "name_last", "mlb_played_first", "mlb_played_last"],
    )
    return frame.assign(
        full_name=frame["name_first"] + " " + frame["name_last"],
        name_given=None,
        name_nick=None,
        birth_date=None,
    )


TWINS = _players([(1, "Luis", "García", 2018, 2026), (2, "Luis", "García", 2015, 2024)])


def _starts(rows: list[tuple[date, int, str, str]]) -> pd.DataFrame:
    base = [(date(2025, 4, 1), 99, "ZZZ", "g0"), (date(2025, 9, 28), 99, "ZZZ", "g9")]
    return pd.DataFrame(base + rows, columns=["game_date", "pitcher_id", "team", "game_id"])


def test_same_name_the_one_who_started_for_the_event_wins() -> None:
    starts = _starts([(DAY, 2, "HOU", "g2"), (DAY, 1, "ZZZ", "gx")])
    got = match_pitchers(_query(["Luis Garcia"]), TWINS, starts).iloc[0]
    assert (got["player_id"], got["game_id"], got["match_method"]) == (2, "g2", RESOLVED_BY_START)


def test_a_start_for_another_team_does_not_count() -> None:
    starts = _starts([(DAY, 2, "NYY", "g2"), (DAY, 7, "HOU", "g7")])
    got = match_pitchers(_query(["Luis Garcia"]), TWINS, starts).iloc[0]
    # Only player 1 played in 2025, so the name resolves by season but joins no start.
    assert (got["player_id"], got["match_method"]) == (1, RESOLVED_BY_SEASON)
    assert pd.isna(got["game_id"]) and got["unmatched_reason"] == NO_START


def test_same_name_both_active_and_neither_started_is_ambiguous() -> None:
    both = _players([(1, "Luis", "Ortiz", 2020, 2026), (2, "Luis", "Ortiz", 2021, 2026)])
    got = match_pitchers(_query(["Luis Ortiz"]), both, _starts([(DAY, 7, "HOU", "g7")])).iloc[0]
    assert pd.isna(got["player_id"])
    assert (got["match_method"], got["unmatched_reason"]) == (UNMATCHED, AMBIGUOUS)


def test_without_a_start_the_strictest_spelling_wins() -> None:
    people = _players([(1, "Luis", "Garcia", 2018, 2026), (2, "Luis", "García", 2018, 2026)])
    got = match_pitchers(_query(["Luis Garcia"]), people, _starts([(DAY, 7, "HOU", "g7")]))
    assert (got["player_id"].iloc[0], got["match_method"].iloc[0]) == (1, "exact")


def test_a_starter_beats_a_stricter_spelling_of_someone_who_did_not_start() -> None:
    people = _players([(1, "Mike", "Soroka", 2018, 2026), (2, "Michael", "Soroka", 2018, 2026)])
    starts = _starts([(DAY, 2, "SEA", "g2")])
    got = match_pitchers(_query(["Mike Soroka"]), people, starts).iloc[0]
    assert (got["player_id"], got["game_id"], got["match_method"]) == (2, "g2", RESOLVED_BY_START)


def test_last_name_team_needs_same_surname_initial_and_a_start() -> None:
    people = _players([(5, "Ryne", "Nelson", 2022, 2026), (6, "Kyle", "Nelson", 2019, 2026)])
    starts = _starts([(DAY, 5, "HOU", "g5")])
    got = match_pitchers(_query(["Rynie Nelson", "Bob Nelson"]), people, starts)
    assert (got["player_id"].iloc[0], got["match_method"].iloc[0]) == (5, "last_name_team")
    assert got["game_id"].iloc[0] == "g5"
    assert pd.isna(got["player_id"].iloc[1])
    assert got["unmatched_reason"].iloc[1] == NO_CANDIDATE


def test_dates_outside_the_starts_range_say_so() -> None:
    people = _players([(5, "Ryne", "Nelson", 2022, 2026)])
    got = match_pitchers(_query(["Ryne Nelson"], day=date(2027, 4, 1)), people, _starts([])).iloc[0]
    assert (got["player_id"], got["unmatched_reason"]) == (5, OUTSIDE_STARTS)


def test_answers_keep_the_query_index_and_order() -> None:
    queries = _query(["Bob Nelson", "Luis Garcia"]).set_axis([10, 3])
    got = match_pitchers(queries, TWINS, _starts([(DAY, 2, "HOU", "g2")]))
    assert list(got.index) == [10, 3]
    assert pd.isna(got.loc[10, "player_id"]) and got.loc[3, "player_id"] == 2
