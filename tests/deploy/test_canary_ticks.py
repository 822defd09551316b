"""Issue 20 item 5: the canary ticks no faster than the scheduler (once a minute) while it
polls for its rows every 2 s; a tick every poll kept the one-request tick function busy, and
every push it refused counted as a delivery attempt toward the dead-letter topic."""

from __future__ import annotations

from typing import Any

import pandas as pd

from strikeouts.deploy.operations import TICK_SECONDS, wait_for_rows


class Counts:
    """A warehouse whose final table never fills (the canary waits out its timeout)."""

    def query(self, sql: str, params: Any = None) -> pd.DataFrame:
        return pd.DataFrame({"n": [0]})


def test_the_canary_ticks_at_most_once_a_minute_while_polling_often() -> None:
    ticks: list[int] = []
    rows = wait_for_rows(
        Counts(),  # type: ignore[arg-type]
        "canary-2025-07-20-x",
        expected_rows=10,
        timeout=0.6,
        nudge=lambda: ticks.append(1),
        poll_seconds=0.05,
    )
    assert rows == 0
    assert TICK_SECONDS >= 60.0 and len(ticks) == 1


def test_ticks_follow_the_given_period() -> None:
    ticks: list[int] = []
    wait_for_rows(
        Counts(),  # type: ignore[arg-type]
        "r",
        10,
        timeout=0.55,
        nudge=lambda: ticks.append(1),
        poll_seconds=0.05,
        nudge_every=0.2,
    )
    assert 2 <= len(ticks) <= 4
