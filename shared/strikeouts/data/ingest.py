"""Full ingest: every raw file of every known kind → the canonical warehouse tables.

Invariant: each run rebuilds ``players``, ``games``, ``pitcher_starts``, ``team_games``,
``prop_lines`` and ``rejected_rows`` from scratch with ``replace_table``, so running it
twice gives identical tables (idempotent, no duplicate keys). Files are found by kind
(``strikeouts.data.files``): a new period is one more file of the same kind. A file in a
known folder that matches no kind is an error unless ``ignore_unknown`` is set (then it is
listed in the report). Missing required kinds, missing or unreadable files raise
:class:`DataFileError` naming the path and what was expected. Precedence between sources
is described in :mod:`strikeouts.data.starts` and :mod:`strikeouts.data.games`; rows the live
results intake wrote are kept unless the files hold the same start (:mod:`strikeouts.data.live`).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from strikeouts.data.checks import keep_first, reject_traced
from strikeouts.data.files import KINDS, DataFileError, files_of, unknown_files
from strikeouts.data.games import build_games, match_games, retrosheet_starters, statcast_games
from strikeouts.data.lines import build_prop_lines
from strikeouts.data.live import live_rows, with_live
from strikeouts.data.register import load_register, retro_crosswalk
from strikeouts.data.rejections import Rejections
from strikeouts.data.retrosheet import (
    PITCHING_COLUMNS,
    TEAM_PITCHES_COLUMNS,
    read_gameinfo,
    read_pitching,
    read_team_pitches,
    read_teamstats,
)
from strikeouts.data.starts import build_pitcher_starts
from strikeouts.data.statcast import read_statcast_starts
from strikeouts.data.team_games import build_team_games
from strikeouts.data.teams import TeamCodes, load_team_codes
from strikeouts.warehouse.base import Warehouse
from strikeouts.warehouse.schemas import load_schema

TABLES = ("players", "games", "pitcher_starts", "team_games", "prop_lines", "rejected_rows")
REQUIRED_KINDS = ("register", "retrosheet_gameinfo", "retrosheet_teamstats", "statcast_starts")


@dataclass
class IngestReport:
    """What one ingest run wrote and found."""

    rows: dict[str, int] = field(default_factory=dict)
    rejections: int = 0
    rejection_reasons: dict[str, int] = field(default_factory=dict)
    unknown_files: list[Path] = field(default_factory=list)
    files: dict[str, list[Path]] = field(default_factory=dict)
    cross_checks: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


Step = Callable[[str], None]


def ingest_all(
    data_dir: Path,
    warehouse: Warehouse,
    *,
    progress: bool = False,
    ignore_unknown: bool = False,
) -> IngestReport:
    """Rebuild every canonical table from the raw files in ``data_dir``."""
    started = time.perf_counter()
    report = IngestReport()
    report.unknown_files = unknown_files(data_dir)
    if report.unknown_files and not ignore_unknown:
        raise DataFileError(_unknown_message(report.unknown_files))
    report.files = {kind: files_of(data_dir, kind) for kind in KINDS}
    for kind in REQUIRED_KINDS:
        if not report.files[kind]:
            raise DataFileError(
                f"no {kind} file in {data_dir / KINDS[kind].folder}: "
                f"expected {KINDS[kind].describe()}"
            )
    with _steps(progress, len(TABLES) + 3) as step:
        tables = _build(data_dir, report, step)
        live = live_rows(warehouse)  # the live intake's rows survive the rebuild (data.live)
        for name in TABLES:
            step(f"writing {name}")
            frame = _schema_columns(tables[name], name)
            frame, checks = with_live(name, frame, live.get(name, pd.DataFrame()))
            report.cross_checks.update(checks)
            report.rows[name] = warehouse.replace_table(name, frame)
    report.seconds = time.perf_counter() - started
    return report


def _build(data_dir: Path, report: IngestReport, step: Step) -> dict[str, pd.DataFrame]:
    rejections = Rejections()
    files = report.files
    teams = load_team_codes(data_dir)
    step("reading register")
    players = load_register(files["register"], rejections)
    crosswalk = retro_crosswalk(players)

    step("reading Retrosheet and retrosplits")
    gameinfo = _concat(read_gameinfo(p, teams, rejections) for p in files["retrosheet_gameinfo"])
    gameinfo = keep_first(gameinfo, ["game_id"], rejections, "games")
    teamstats = _concat(read_teamstats(p, teams, rejections) for p in files["retrosheet_teamstats"])
    teamstats = keep_first(teamstats, ["game_id", "team"], rejections, "team_games")
    teamstats["starter_id"] = teamstats["starter_retro_id"].map(crosswalk).astype("Int64")
    report.cross_checks["teamstats_unmapped_starters"] = int(teamstats["starter_id"].isna().sum())
    # Pitching and retrosplits files are optional (no pitching file for 2025 onwards).
    pitching = _concat(
        (read_pitching(p, teams, crosswalk, rejections) for p in files["retrosheet_pitching"]),
        PITCHING_COLUMNS,
    )
    pitches = _concat(
        (read_team_pitches(p, teams, rejections) for p in files["retrosplits_teams"]),
        TEAM_PITCHES_COLUMNS,
    )

    step("reading Statcast and matching games")
    statcast = _concat(read_statcast_starts(p, teams, rejections) for p in files["statcast_starts"])
    statcast = keep_first(statcast, ["game_pk", "pitcher_id"], rejections, "pitcher_starts")
    sc_games = statcast_games(statcast)
    retro_games = gameinfo.merge(retrosheet_starters(teamstats), on="game_id", how="left")
    matched = match_games(retro_games, sc_games)
    games, game_map = build_games(gameinfo, sc_games, matched, teams)
    report.cross_checks["statcast_games"] = len(sc_games)
    report.cross_checks["statcast_games_matched_to_retrosheet"] = len(matched)

    starts_in = pitching[pitching["is_start"].astype(bool)]
    starts_in = keep_first(starts_in, ["game_id", "pitcher_id"], rejections, "pitcher_starts")
    orphan = ~starts_in["game_id"].isin(games["game_id"])
    reject_traced(
        rejections, starts_in[orphan], "game_id", "game not in any gameinfo file", "pitcher_starts"
    )
    starts, checks = build_pitcher_starts(
        starts_in[~orphan], statcast, game_map, teamstats, players
    )
    report.cross_checks.update(checks)
    team_games = build_team_games(teamstats, pitches, crosswalk)
    prop_lines = _prop_lines(files["prop_lines"], players, starts, teams, rejections)

    report.rejections = len(rejections)
    report.rejection_reasons = dict(Counter(str(r["reason"]) for r in rejections.rows))
    return {
        "players": players,
        "games": games,
        "pitcher_starts": starts,
        "team_games": team_games,
        "prop_lines": prop_lines,
        "rejected_rows": rejections.frame(),
    }


def _prop_lines(
    paths: list[Path],
    players: pd.DataFrame,
    starts: pd.DataFrame,
    teams: TeamCodes,
    rejections: Rejections,
) -> pd.DataFrame:
    """Rows of ``prop_lines`` (empty when there is no lines file: the kind is optional)."""
    if not paths:
        return pd.DataFrame(columns=load_schema("prop_lines").column_names)
    return build_prop_lines(paths, players, starts, teams, rejections)


def _concat(frames: Iterable[pd.DataFrame], columns: list[str] | None = None) -> pd.DataFrame:
    """One frame from every file's frame (empty with ``columns`` when there are no files)."""
    parts = list(frames)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)


def _schema_columns(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """Only the columns the table's schema declares (builders keep tracing columns)."""
    names = [c for c in load_schema(table).column_names if c in frame.columns]
    return frame[names]


def _unknown_message(paths: list[Path]) -> str:
    expected = "; ".join(k.describe() for k in KINDS.values())
    listed = ", ".join(str(p) for p in paths)
    return (
        f"unknown file(s) in the data folders: {listed}. Expected only: {expected}. "
        "Move them away or pass --ignore-unknown."
    )


@contextmanager
def _steps(progress: bool, total: int) -> Iterator[Step]:
    """A step reporter: a rich progress bar when ``progress``, else nothing."""
    if not progress:
        yield lambda _label: None
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description:<40}"), BarColumn(), TimeElapsedColumn(), transient=True
    ) as bar:
        task = bar.add_task("ingest", total=total)

        def step(label: str) -> None:
            bar.update(task, advance=1, description=label)

        yield step
        bar.update(task, completed=total)
