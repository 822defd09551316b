"""What the canonical tables hold: rows, seasons, date ranges, starts and K per start, lines.

Invariant: read-only; every figure is one BigQuery-dialect query through the warehouse port,
so it means the same on DuckDB and BigQuery. Missing tables count as empty.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from strikeouts.data.ingest import TABLES
from strikeouts.warehouse.base import Warehouse

_DATED = ("games", "pitcher_starts", "team_games", "prop_lines")

_STARTS_BY_SEASON = """
SELECT season, COUNT(*) AS starts, AVG(strikeouts) AS k_mean, STDDEV(strikeouts) AS k_sd,
       COUNTIF(pitches IS NOT NULL) AS with_pitches
FROM pitcher_starts GROUP BY season ORDER BY season
"""

_LINE_MATCH = """
SELECT COUNT(*) AS lines,
       COUNTIF(pitcher_id IS NOT NULL) AS matched_pitcher,
       COUNTIF(game_id IS NOT NULL) AS joined_start,
       COUNTIF(l.game_date BETWEEN r.first_start AND r.last_start) AS in_starts_range,
       COUNTIF(game_id IS NOT NULL AND l.game_date BETWEEN r.first_start AND r.last_start)
         AS joined_in_range
FROM prop_lines AS l
CROSS JOIN (SELECT MIN(game_date) AS first_start, MAX(game_date) AS last_start
            FROM pitcher_starts) AS r
"""


@dataclass(frozen=True)
class WarehouseSummary:
    """Rows and date range per table, starts per season, and the line match rate."""

    tables: pd.DataFrame
    starts: pd.DataFrame
    lines: dict[str, int]

    @property
    def line_match_rate(self) -> float | None:
        """Share of lines dated inside the starts range that joined a start."""
        in_range = self.lines.get("in_starts_range", 0)
        return self.lines["joined_in_range"] / in_range if in_range else None


def summarize(warehouse: Warehouse) -> WarehouseSummary:
    """Read the figures of :class:`WarehouseSummary` from ``warehouse``."""
    rows = []
    for table in TABLES:
        count = warehouse.row_count(table)
        first = last = ""
        seasons = ""
        if count and table in _DATED:
            span = warehouse.query(
                f"SELECT MIN(game_date) AS first, MAX(game_date) AS last, "
                f"STRING_AGG(DISTINCT CAST(EXTRACT(YEAR FROM game_date) AS STRING), ',') "
                f"AS seasons FROM {table}"
            ).iloc[0]
            first, last = _day(span["first"]), _day(span["last"])
            seasons = _season_span(str(span["seasons"]).split(","))
        rows.append({"table": table, "rows": count, "seasons": seasons, "first": first,
                     "last": last})  # fmt: skip
    starts = (
        warehouse.query(_STARTS_BY_SEASON)
        if warehouse.row_count("pitcher_starts")
        else pd.DataFrame(columns=["season", "starts", "k_mean", "k_sd", "with_pitches"])
    )
    lines: dict[str, int] = {}
    if warehouse.row_count("prop_lines") and warehouse.row_count("pitcher_starts"):
        lines = {str(k): int(v) for k, v in warehouse.query(_LINE_MATCH).iloc[0].items()}
    return WarehouseSummary(tables=pd.DataFrame(rows), starts=starts, lines=lines)


def _day(value: Any) -> str:
    return "" if pd.isna(value) else str(pd.Timestamp(str(value)).date())


def _season_span(seasons: list[str]) -> str:
    """``2021-2026`` for consecutive seasons, else the list."""
    years = sorted(int(s) for s in seasons if s.strip())
    if years and years[-1] - years[0] + 1 == len(years):
        return f"{years[0]}-{years[-1]}" if len(years) > 1 else str(years[0])
    return ",".join(str(y) for y in years)
