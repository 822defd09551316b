"""How the completion sweep reads state marks: per run and game date, complete only when as
many distinct pitcher-games are written as fanout published, never when the size is unknown."""

from __future__ import annotations

from strikeouts.pipeline.completion import run_dates
from strikeouts.pipeline.messages import PitcherGameKey
from strikeouts.pipeline.ports import StateMark


def mark(run: str, day: str, pitcher: int, size: int | None, written: bool) -> StateMark:
    return StateMark(PitcherGameKey(run, "G1", pitcher), day, size, written)


def test_a_run_date_is_complete_once_as_many_pitcher_games_as_published_are_written() -> None:
    marks = [
        mark("r1", "2025-07-04", 1, 2, True),
        mark("r1", "2025-07-04", 2, 2, False),  # one of two still open
        mark("r1", "2025-07-05", 1, 1, True),  # the same run id on another date: its own
        mark("r2", "2025-07-04", 1, None, True),  # an older header without the run size
    ]
    found = {(r.run_id, r.game_date): r for r in run_dates(marks)}
    assert [k for k, r in found.items() if r.complete] == [("r1", "2025-07-05")]
    assert found[("r1", "2025-07-04")].written == 1
    assert found[("r1", "2025-07-05")].completion_id == "r1/2025-07-05"
    written = [mark("r1", "2025-07-04", 2, 2, True), mark("r1", "2025-07-04", 2, 2, True)]
    [again] = [r for r in run_dates([marks[0], *written]) if r.game_date == "2025-07-04"]
    assert again.complete and again.written == 2  # duplicates count once
