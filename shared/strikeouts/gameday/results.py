"""Results intake: the finals of a date → ``pitcher_starts`` rows, merged on their key.

Invariants:

- Everything is fetched and parsed before anything is written: a source that fails half way
  raises and leaves the warehouse as it was.
- A row is keyed (game_id, pitcher_id) like every other start, with ``source = 'statsapi'``.
  Writing is an upsert over live rows only: a corrected box score replaces the earlier live
  row, the same box score twice changes nothing, and a start the bulk files already hold
  (source ``statcast``/``retrosheet…``) is kept as it is — the curated files win.
- Only final games give starts; postponed, suspended and cancelled games give none (their
  bets are void). A box-score side that cannot be parsed, or whose numbers contradict each
  other, is a rejected row with its raw JSON, never a guess.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from strikeouts.data.teams import TeamCodes
from strikeouts.gameday.games import SOURCE, game_ids, games_rows
from strikeouts.gameday.record import record_problems
from strikeouts.sources.parse import raw
from strikeouts.sources.ports import (
    FINAL,
    BoxScore,
    GameSource,
    PitchingLine,
    Problem,
    Schedule,
    ScheduledGame,
)
from strikeouts.warehouse.base import Warehouse

TABLE = "pitcher_starts"
MAX_OUTS = 27 * 3  # no start lasts past 27 innings

BULK_KEYS_SQL = """
SELECT game_id, pitcher_id FROM pitcher_starts
WHERE game_date = @day AND source <> 'statsapi'
"""


@dataclass
class ResultsReport:
    """What one intake of a date found and wrote."""

    day: dt.date
    games: int = 0
    final: int = 0
    void: dict[int, str] = field(default_factory=dict)
    """game_pk → state of the games with void bets (postponed, suspended, cancelled)."""
    pending: int = 0
    starts: int = 0
    kept_bulk: int = 0
    rejected: int = 0
    states: dict[str, str] = field(default_factory=dict)
    """game_id → state of every game of the date (for grading)."""


@dataclass(frozen=True)
class _Fetched:
    schedule: Schedule
    boxes: list[tuple[ScheduledGame, BoxScore]]


def intake_results(
    day: dt.date,
    source: GameSource,
    warehouse: Warehouse,
    teams: TeamCodes,
    now: dt.datetime | None = None,
) -> ResultsReport:
    """Fetch the finals of ``day`` and merge their starters into ``pitcher_starts``."""
    now = now or dt.datetime.now(dt.UTC)
    fetched = _fetch(day, source)
    games = fetched.schedule.games
    ids = game_ids(warehouse, day, games, teams)
    report = ResultsReport(day=day, games=len(games))
    report.states = {ids[g.game_pk]: g.state for g in games}
    report.void = {g.game_pk: g.state for g in games if g.void}
    report.final = sum(1 for g in games if g.state == FINAL)
    report.pending = len(games) - report.final - len(report.void)
    problems = list(fetched.schedule.problems)
    rows: list[dict[str, object]] = []
    for game, box in fetched.boxes:
        problems.extend(box.problems)
        for side, line in sorted(box.starters.items()):
            bad = _contradiction(box, side, line)
            if bad:
                problems.append(bad)
            else:
                rows.append(_row(game, ids[game.game_pk], side, line))
    starts = pd.DataFrame(rows)
    starts, report.kept_bulk = _without_bulk(warehouse, day, starts)
    if fetched.boxes:
        warehouse.merge("games", games_rows([g for g, _ in fetched.boxes], ids))
    if not starts.empty:
        report.starts = warehouse.upsert(TABLE, starts)
    report.rejected = record_problems(warehouse, problems, TABLE, now)
    return report


def _fetch(day: dt.date, source: GameSource) -> _Fetched:
    """The schedule and every final game's box score, or the first source error."""
    schedule = source.schedule(day)
    finals = [g for g in schedule.games if g.state == FINAL]
    return _Fetched(schedule, [(g, source.boxscore(g.game_pk)) for g in finals])


def _contradiction(box: BoxScore, side: str, line: PitchingLine) -> Problem | None:
    """A line whose numbers cannot all be true, as a rejection naming the field."""
    reason = None
    column = "strikeOuts"
    if line.outs > MAX_OUTS:
        column, reason = "outs", f"more than {MAX_OUTS} outs"
    elif line.batters_faced is not None and line.strikeouts > line.batters_faced:
        reason = f"more strikeouts than batters faced ({line.batters_faced})"
    elif line.strikeouts > line.outs:
        reason = f"more strikeouts than outs recorded ({line.outs})"
    if reason is None:
        return None
    value = str(line.outs if column == "outs" else line.strikeouts)
    path = f"teams.{side}.players.ID{line.pitcher_id}.stats.pitching.{column}"
    return Problem(box.url, 0 if side == "away" else 1, path, value, reason, raw(line.__dict__))


def _row(game: ScheduledGame, game_id: str, side: str, line: PitchingLine) -> dict[str, object]:
    home = side == "home"
    return {
        "game_date": game.official_date,
        "season": game.official_date.year,
        "game_id": game_id,
        "game_pk": game.game_pk,
        "pitcher_id": line.pitcher_id,
        "pitcher_name": line.name,
        "team": game.home_code if home else game.away_code,
        "opponent": game.away_code if home else game.home_code,
        "is_home": home,
        "strikeouts": line.strikeouts,
        "outs": line.outs,
        "batters_faced": line.batters_faced,
        "walks": line.walks,
        "hits": line.hits,
        "runs": line.runs,
        "pitches": line.pitches,
        "source": SOURCE,
    }


def _without_bulk(
    warehouse: Warehouse, day: dt.date, starts: pd.DataFrame
) -> tuple[pd.DataFrame, int]:
    """``starts`` minus the keys a bulk file already holds (those rows are kept as they are)."""
    if starts.empty:
        return starts, 0
    warehouse.ensure_tables([TABLE])
    bulk = warehouse.query(BULK_KEYS_SQL, {"day": day})
    keys = set(zip(bulk["game_id"], bulk["pitcher_id"].astype(int), strict=True))
    held = [
        (g, int(p)) in keys for g, p in zip(starts["game_id"], starts["pitcher_id"], strict=True)
    ]
    mask = pd.Series(held, index=starts.index)
    return starts[~mask].reset_index(drop=True), int(mask.sum())
