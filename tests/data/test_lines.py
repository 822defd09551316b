"""Prop lines ingestion on the real lines file: match rate, row accounting, rejections."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import pytest

from strikeouts.data.files import files_of
from strikeouts.data.lines import build_prop_lines
from strikeouts.data.names_match import NO_GAME, NO_START, OUTSIDE_STARTS
from strikeouts.data.register import load_register
from strikeouts.data.rejections import Rejections
from strikeouts.data.tables import read_csv
from strikeouts.data.teams import TeamCodes, load_team_codes

pytestmark = pytest.mark.data


@pytest.fixture(scope="module")
def players(data_dir: Path) -> pd.DataFrame:
    return load_register(files_of(data_dir, "register"), Rejections())


@pytest.fixture(scope="module")
def teams(data_dir: Path) -> TeamCodes:
    return load_team_codes(data_dir)


@pytest.fixture(scope="module")
def starts(data_dir: Path) -> pd.DataFrame:
    """The minimal pitcher_starts frame, straight from Statcast (ids and codes are MLB's)."""
    raw = pd.concat(pd.read_csv(p) for p in files_of(data_dir, "statcast_starts"))
    return pd.DataFrame(
        {
            "game_date": pd.to_datetime(raw["game_date"]).dt.date,
            "pitcher_id": raw["pitcher"].astype("int64"),
            "team": raw["pitcher_team"],
            "game_id": raw["game_pk"].astype(str),
        }
    )


@pytest.fixture(scope="module")
def lines_files(data_dir: Path) -> list[Path]:
    return files_of(data_dir, "prop_lines")


@pytest.fixture(scope="module")
def built(
    lines_files: list[Path], players: pd.DataFrame, starts: pd.DataFrame, teams: TeamCodes
) -> tuple[pd.DataFrame, Rejections]:
    rejections = Rejections()
    return build_prop_lines(lines_files, players, starts, teams, rejections), rejections


def test_raw_text_stays_aligned_despite_embedded_json_quotes(lines_files: list[Path]) -> None:
    raw = read_csv(lines_files[0])
    prefix = raw["game_date"] + "," + raw["event_id"] + ","
    assert (raw["_raw"].str.slice(0, 44) == prefix).all()
    assert (prefix.str.len() == 44).all()


def test_at_least_90_percent_of_lines_in_the_starts_range_join_a_start(
    built: tuple[pd.DataFrame, Rejections], starts: pd.DataFrame
) -> None:
    lines, _ = built
    inside = lines["game_date"].between(starts["game_date"].min(), starts["game_date"].max())
    assert inside.sum() > 4000
    assert lines.loc[inside, "game_id"].notna().mean() >= 0.90


def test_every_input_row_is_kept_or_rejected(
    built: tuple[pd.DataFrame, Rejections], lines_files: list[Path]
) -> None:
    lines, rejections = built
    n_input = sum(len(read_csv(p)) for p in lines_files)
    rejected = rejections.frame()
    assert (rejected["target_table"] == "prop_lines").all()
    assert len(lines) + len(rejected) == n_input
    # The All-Star game's "American League" is not a team; nothing else is malformed.
    assert set(zip(rejected["column_name"], rejected["value"], strict=True)) == {
        ("away_team", "American League")
    }


def test_one_row_per_game_date_event_and_pitcher(built: tuple[pd.DataFrame, Rejections]) -> None:
    lines, _ = built
    assert not lines.duplicated(["game_date", "event_id", "pitcher_name"]).any()


def test_joined_lines_point_at_a_start_of_that_pitcher_for_a_team_in_the_event(
    built: tuple[pd.DataFrame, Rejections], starts: pd.DataFrame
) -> None:
    lines, _ = built
    joined = lines[lines["game_id"].notna()].merge(
        starts, left_on=["game_id", "pitcher_id"], right_on=["game_id", "pitcher_id"]
    )
    assert len(joined) == lines["game_id"].notna().sum()
    assert (joined["game_date_x"] == joined["game_date_y"]).all()
    assert ((joined["team"] == joined["home_team"]) | (joined["team"] == joined["away_team"])).all()


def test_match_columns_are_consistent(built: tuple[pd.DataFrame, Rejections]) -> None:
    lines, _ = built
    unjoined = lines["game_id"].isna()
    assert lines.loc[unjoined, "unmatched_reason"].notna().all()
    assert lines.loc[~unjoined, "unmatched_reason"].isna().all()
    assert (lines["pitcher_id"].isna() == (lines["match_method"] == "unmatched")).all()
    # Misses are mostly openers/relievers, scratches and days without the game.
    reasons = lines.loc[unjoined, "unmatched_reason"].value_counts()
    assert reasons.get(NO_START, 0) + reasons.get(NO_GAME, 0) >= 0.95 * unjoined.sum()
    assert reasons.get(OUTSIDE_STARTS, 0) == 0


def test_values_are_typed(built: tuple[pd.DataFrame, Rejections]) -> None:
    lines, _ = built
    assert lines["close_line"].between(0, 20, inclusive="right").all()
    assert lines["home_team"].str.len().between(2, 3).all()
    assert str(lines["close_snapshot_at"].dt.tz) == "UTC"
    assert (lines["close_snapshot_at"] >= lines["open_snapshot_at"]).all()
    assert (lines["close_over"].abs() >= 100).all()


def _mutated_copy(source: Path, target: Path) -> list[str]:
    """The header and 8 real rows; rows 2-7 broken one way each, row 9 a repeat of row 8."""
    with gzip.open(source, "rt", newline="") as fh:
        head = [fh.readline().rstrip("\r\n") for _ in range(9)]
    cols = head[0].split(",")
    rows = [r.split(",", len(cols) - 2) for r in head[1:]]  # JSON tails stay whole

    def put(i: int, col: str, value: str) -> None:
        rows[i][cols.index(col)] = value

    put(1, "game_date", "2025-13-40")
    put(2, "close_line", "five")
    put(3, "open_line", "25.5")
    put(4, "home_team", "Springfield Isotopes")
    put(5, "pitcher_name", "")
    put(6, "close_over", "-5")
    rows[7] = list(rows[0])
    out = [head[0], *(",".join(r) for r in rows)]
    target.write_text("\n".join(out) + "\n")
    return out


def test_malformed_rows_are_rejected_with_line_column_and_raw(
    tmp_path: Path,
    lines_files: list[Path],
    players: pd.DataFrame,
    starts: pd.DataFrame,
    teams: TeamCodes,
) -> None:
    path = tmp_path / "strikeout_props_broken.csv"
    text = _mutated_copy(lines_files[0], path)
    rejections = Rejections()
    lines = build_prop_lines([path], players, starts, teams, rejections)
    got = rejections.frame().set_index("line_number")
    assert list(got["column_name"].items()) == [
        (3, "game_date"),
        (4, "close_line"),
        (5, "open_line"),
        (6, "home_team"),
        (7, "pitcher_name"),
        (8, "close_over"),
        (9, "event_id"),  # repeats line 2 with the same close snapshot: the first read wins
    ]
    assert got.loc[6, "value"] == "Springfield Isotopes"
    assert got.loc[4, "value"] == "five"
    for line, raw in got["raw"].items():
        assert raw == text[line - 1]
    assert (got["source_file"] == str(path)).all()
    assert len(lines) == 1
    assert lines["pitcher_name"].iloc[0] == text[1].split(",")[5]
    assert lines["close_line"].notna().all()


def test_no_files_give_an_empty_table(
    players: pd.DataFrame, starts: pd.DataFrame, teams: TeamCodes
) -> None:
    empty = build_prop_lines([], players, starts, teams, Rejections())
    assert empty.empty
    assert "close_all_lines_json" in empty.columns


def test_ingested_prop_lines_join_rate(request: pytest.FixtureRequest) -> None:
    """On the fully ingested warehouse (H1's ``ingested`` fixture), when it exists."""
    try:
        warehouse = request.getfixturevalue("ingested")
    except pytest.FixtureLookupError:
        pytest.skip("no `ingested` fixture in tests/conftest.py yet")
    rate = warehouse.query(
        """
        SELECT avg(CASE WHEN l.game_id IS NOT NULL THEN 1.0 ELSE 0.0 END) AS rate, count(*) AS n
        FROM prop_lines AS l
        WHERE l.game_date BETWEEN (SELECT min(game_date) FROM pitcher_starts)
                              AND (SELECT max(game_date) FROM pitcher_starts)
        """
    )
    assert int(rate["n"].iloc[0]) > 4000
    assert float(rate["rate"].iloc[0]) >= 0.90
    joined = warehouse.query(
        """
        SELECT count(*) AS n FROM prop_lines AS l
        LEFT JOIN pitcher_starts AS s
          ON s.game_id = l.game_id AND s.pitcher_id = l.pitcher_id AND s.game_date = l.game_date
        WHERE l.game_id IS NOT NULL AND s.game_id IS NULL
        """
    )
    assert int(joined["n"].iloc[0]) == 0  # every joined line points at a real start


def test_one_line_per_start_keeps_the_latest_priced_event() -> None:
    """A postponed game's two events never both join one start (no start counted twice)."""
    import pandas as pd

    from strikeouts.data.lines import DUPLICATE_EVENT, one_line_per_start

    lines = pd.DataFrame(
        {
            "event_id": ["early", "late", "other"],
            "game_id": ["DET202507090", "DET202507090", "DET202507090"],
            "pitcher_id": [641793, 641793, 681857],
            "close_snapshot_at": pd.to_datetime(
                ["2025-07-09T14:16:03Z", "2025-07-09T20:18:25Z", "2025-07-09T14:16:03Z"]
            ),
            "unmatched_reason": [None, None, None],
        }
    )
    out = one_line_per_start(lines).set_index("event_id")
    assert out.loc["late", "game_id"] == "DET202507090"
    assert pd.isna(out.loc["early", "game_id"])
    assert out.loc["early", "unmatched_reason"] == DUPLICATE_EVENT
    assert out.loc["other", "game_id"] == "DET202507090"  # a different pitcher is untouched
