"""Every rejection path: a malformed row becomes a rejected_rows row naming file, line,
column, value and reason; a bad file is a DataFileError naming its path."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from typer.testing import CliRunner

from strikeouts.cli import app
from strikeouts.data.files import DataFileError
from strikeouts.data.ingest import ingest_all
from strikeouts.warehouse.duckdb_backend import DuckDBWarehouse

from . import minidata

pytestmark = pytest.mark.data


@pytest.fixture
def mini(data_dir: Path, tmp_path: Path) -> Path:
    return minidata.build(data_dir, tmp_path / "data")


def _ingest(path: Path) -> DuckDBWarehouse:
    store = DuckDBWarehouse(":memory:")
    ingest_all(path, store)
    return store


def _rejected(store: DuckDBWarehouse, path: Path, line: int) -> list[dict[str, object]]:
    rows = store.query(
        "SELECT * FROM rejected_rows WHERE source_file = @f AND line_number = @n",
        {"f": str(path), "n": line},
    )
    return rows.to_dict("records")


def test_clean_head_of_the_real_files_has_no_rejections(mini: Path) -> None:
    store = _ingest(mini)
    assert store.row_count("rejected_rows") == 0
    assert store.row_count("pitcher_starts") > 0
    assert store.row_count("games") > 0


# fmt: off
MALFORMED = [
        ("retrosheet/2024pitching.csv", "date", "2024-13-45", "malformed date", "pitcher_starts"),
        ("retrosheet/2024pitching.csv", "p_k", "-2", "negative count", "pitcher_starts"),
        ("retrosheet/2024pitching.csv", "p_ipouts", "six", "non-numeric count", "pitcher_starts"),
        ("retrosheet/2024pitching.csv", "team", "XYZ", "unknown team code", "pitcher_starts"),
        ("retrosheet/2024pitching.csv", "id", "nobod999", "not in the register", "pitcher_starts"),
        ("retrosheet/2024teamstats.csv", "b_k", "-1", "negative count", "team_games"),
        ("retrosheet/2024teamstats.csv", "opp", "QQQ", "unknown team code", "team_games"),
        ("retrosheet/2024gameinfo.csv", "date", "20241301", "malformed date", "games"),
        ("retrosheet/2024gameinfo.csv", "hometeam", "ZZZ", "unknown team code", "games"),
        ("retrosplits/teams-2024.csv", "P_PITCH", "lots", "non-numeric count", "team_games"),
        ("statcast/starts_2024-03.csv", "pitcher", "", "MLBAM id", "pitcher_starts"),
        ("statcast/starts_2024-03.csv", "strikeouts", "-4", "negative count", "pitcher_starts"),
        (
            "statcast/starts_2024-03.csv",
            "game_date",
            "03/28/2024",
            "malformed date",
            "pitcher_starts",
        ),
        (
            "statcast/starts_2024-03.csv",
            "pitcher_team",
            "OAK",
            "unknown team code",
            "pitcher_starts",
        ),
    ]
# fmt: on


@pytest.mark.parametrize(("file", "column", "value", "reason", "table"), MALFORMED)
def test_malformed_cell_is_a_rejected_row(
    mini: Path, file: str, column: str, value: str, reason: str, table: str
) -> None:
    path = mini / file
    # The first row that is a start (pitching) or a regular/evt row (others) is mutated.
    if file.endswith("pitching.csv"):
        line = minidata.first_line(path, {"p_gs": "1", "gametype": "regular"})
    elif file.startswith("retrosplits"):
        line = minidata.first_line(path, {"game.source": "evt", "season.phase": "R"})
    else:
        line = 2
    raw = minidata.set_cell(path, line, column, value)
    store = _ingest(mini)
    found = _rejected(store, path, line)
    assert [r["column_name"] for r in found] == [column]
    row = found[0]
    assert row["value"] == (value or None)
    assert reason in str(row["reason"])
    assert row["raw"] == raw
    assert row["target_table"] == table


def test_rejected_start_is_not_in_the_table(mini: Path) -> None:
    path = mini / "retrosheet/2024pitching.csv"
    line = minidata.first_line(path, {"p_gs": "1", "gametype": "regular"})
    game = minidata.cell(path, line, "gid")
    minidata.set_cell(path, line, "p_k", "-1")
    store = _ingest(mini)
    starts = store.query("SELECT COUNT(*) AS n FROM pitcher_starts WHERE game_id = @g", {"g": game})
    assert int(starts["n"].iloc[0]) == 1  # the other team's starter only


def test_missing_required_kind_names_the_folder_and_pattern(mini: Path) -> None:
    (mini / "retrosheet/2024gameinfo.csv").unlink()
    with pytest.raises(DataFileError, match=r"retrosheet_gameinfo.*retrosheet.*gameinfo"):
        _ingest(mini)


def test_missing_team_codes_names_the_path(mini: Path) -> None:
    (mini / "team_codes.csv").unlink()
    with pytest.raises(DataFileError, match=str(mini / "team_codes.csv")):
        _ingest(mini)


def test_unreadable_file_names_the_path(mini: Path) -> None:
    bad = mini / "retrosheet/2024pitching.csv"
    bad.unlink()
    broken = bad.with_suffix(".csv.gz")
    broken.write_bytes(b"this is not gzip")
    with pytest.raises(DataFileError, match=rf"{broken}: unreadable"):
        _ingest(mini)


def test_missing_column_names_the_path_and_column(mini: Path) -> None:
    path = mini / "statcast/starts_2024-03.csv"
    path.write_text(path.read_text().replace("strikeouts", "ks", 1))
    with pytest.raises(DataFileError, match=rf"{path}: missing column.*strikeouts"):
        _ingest(mini)


def test_unknown_file_is_an_error_unless_ignored(mini: Path) -> None:
    stray = mini / "retrosheet/2024batting.csv"
    stray.write_text("gid,id\n")
    with pytest.raises(DataFileError, match=rf"{stray}.*--ignore-unknown"):
        _ingest(mini)
    report = ingest_all(mini, DuckDBWarehouse(":memory:"), ignore_unknown=True)
    assert report.unknown_files == [stray]


def test_cli_prints_file_errors_cleanly_and_exits_2(mini: Path, tmp_path: Path) -> None:
    broken = mini / "retrosheet/2024teamstats.csv.gz"
    (mini / "retrosheet/2024teamstats.csv").unlink()
    broken.write_bytes(gzip.compress(b"")[:5])
    result = CliRunner().invoke(
        app,
        ["ingest", "--data-dir", str(mini), "--warehouse", str(tmp_path / "w.duckdb")],
    )
    assert result.exit_code == 2
    assert "2024teamstats.csv.gz" in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_cli_ingest_then_summary(mini: Path, tmp_path: Path) -> None:
    target = str(tmp_path / "w.duckdb")
    runner = CliRunner()
    done = runner.invoke(app, ["ingest", "--data-dir", str(mini), "--warehouse", target])
    assert done.exit_code == 0, done.output
    assert "pitcher_starts" in done.output
    shown = runner.invoke(app, ["summary", "--warehouse", target])
    assert shown.exit_code == 0, shown.output
    assert "pitcher starts by season" in shown.output
    assert "2024" in shown.output
