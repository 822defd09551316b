"""Small synthetic rows for the warehouse tables (made up, not extracts of the real data)."""

from __future__ import annotations

import datetime as dt

import pandas as pd

TEAMS = ["NYA", "BOS", "TBA", "TOR"]


def pitcher_starts(n: int, first: int = 0) -> pd.DataFrame:
    """``n`` starts with keys ``(G{i}, 1000 + i % 7)`` for i in ``first .. first + n - 1``."""
    ids = range(first, first + n)
    return pd.DataFrame(
        {
            "game_date": [dt.date(2024, 4, 1) + dt.timedelta(days=i // 3) for i in ids],
            "season": [2024] * n,
            "game_id": [f"G{i:05d}" for i in ids],
            "pitcher_id": [1000 + i % 7 for i in ids],
            "pitcher_name": [f"Pitcher {i % 7}" for i in ids],
            "team": [TEAMS[i % 4] for i in ids],
            "opponent": [TEAMS[(i + 1) % 4] for i in ids],
            "is_home": [i % 2 == 0 for i in ids],
            "strikeouts": [i % 11 for i in ids],
            "outs": [15 + i % 7 for i in ids],
            "batters_faced": [None if i % 5 == 0 else 20 + i % 9 for i in ids],
            "source": ["test"] * n,
        }
    )


def team_games(n: int) -> pd.DataFrame:
    """``n`` team-games with REPEATED lineup columns (some empty)."""
    return pd.DataFrame(
        {
            "game_id": [f"G{i:05d}" for i in range(n)],
            "game_date": [dt.date(2024, 5, 1) + dt.timedelta(days=i) for i in range(n)],
            "season": [2024] * n,
            "team": [TEAMS[i % 4] for i in range(n)],
            "opponent": [TEAMS[(i + 2) % 4] for i in range(n)],
            "is_home": [i % 2 == 1 for i in range(n)],
            "plate_appearances": [36 + i for i in range(n)],
            "strikeouts": [7 + i % 5 for i in range(n)],
            "lineup_ids": [[] if i == 0 else [100 + j for j in range(i % 9 + 1)] for i in range(n)],
            "lineup_retro_ids": [[f"p{i}{j}" for j in range(i % 3)] for i in range(n)],
        }
    )
