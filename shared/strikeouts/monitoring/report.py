"""The HTML report of a date range: one self-contained file that opens offline.

Invariant: plotly.js is embedded once in the file (no CDN: the report must open without a
network); every figure reads the monitoring views; the Retrosheet notice is always printed;
in-sample rows (a model fitted on starts of their date or later) are left out of every accuracy,
calibration and ROI figure unless asked, and the page says how many there were either way.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from strikeouts.data.notice import RETROSHEET_NOTICE
from strikeouts.errors import StrikeoutsError
from strikeouts.monitoring import figures
from strikeouts.monitoring.insample import describe, in_sample_rows, kept
from strikeouts.monitoring.views import ensure_views, read_view, rollup
from strikeouts.warehouse.base import Warehouse

SLATE_COLUMNS = {
    "pick_rank": "#",
    "pitcher_name": "pitcher",
    "team": "team",
    "opponent": "opp",
    "recommendation": "call",
    "line": "line",
    "over_odds": "over",
    "under_odds": "under",
    "predicted_strikeouts": "pred",
    "edge": "edge",
    "p_over": "p_over",
    "confidence": "conf",
    "red_flags": "flags",
    "contributing_systems": "systems",
    "actual_strikeouts": "actual",
    "bet_result": "result",
    "in_sample": "in sample",
}
BETS_SQL = """
SELECT system_id, edge, bet_result, bet_profit FROM graded_predictions
WHERE game_date BETWEEN @start AND @end AND bet_result IN ('WIN', 'LOSS', 'PUSH') AND {kept}
ORDER BY system_id, game_id, pitcher_id
"""
RELIABILITY_SQL = """
SELECT system_id, p_over, over_hit FROM graded_predictions
WHERE game_date BETWEEN @start AND @end AND p_over IS NOT NULL AND over_hit IS NOT NULL
  AND {kept}
ORDER BY system_id, game_id, pitcher_id
"""


class ReportError(StrikeoutsError, ValueError):
    """A report that cannot be written as asked (no predictions in the range)."""


def write_report(
    warehouse: Warehouse,
    start: dt.date,
    end: dt.date,
    out: Path,
    *,
    create_views: bool = True,
    include_in_sample: bool = False,
) -> Path:
    """Write ``report_START_END.html`` into ``out`` and return its path (``include_in_sample``:
    count in-sample rows in the accuracy, calibration and ROI figures)."""
    if create_views:
        ensure_views(warehouse)
    days = read_view(warehouse, "daily_coverage", start, end)
    if days.empty or int(days["pitcher_games"].sum()) == 0:
        raise ReportError(f"no predictions between {start} and {end} in the warehouse")
    note = describe(in_sample_rows(warehouse, start, end), included=include_in_sample)
    sections = [
        _slate(warehouse, end),
        *_charts(warehouse, start, end, days, include_in_sample),
    ]
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"report_{start}_{end}.html"
    path.write_text(_page(start, end, note, sections), encoding="utf-8")
    return path


def _charts(
    warehouse: Warehouse, start: dt.date, end: dt.date, coverage: pd.DataFrame, include: bool
) -> list[str]:
    params = {"start": start, "end": end}
    rows = kept(include)
    bets = figures.edge_buckets(warehouse.query(BETS_SQL.format(kept=rows), params))
    daily, agreement, confidence = (
        rollup(warehouse, view, start, end, by, include_in_sample=include)
        for view, by in (
            ("system_performance", ("game_date", "system_id")),
            ("system_agreement", ("agreement", "system_id")),
            ("confidence_calibration", ("confidence_bucket", "system_id")),
        )
    )
    reliability = warehouse.query(RELIABILITY_SQL.format(kept=rows), params)
    # a figure is drawn only from rows (with every row in sample left out, a range can have
    # predictions and no graded bet: its sections say so instead)
    return [
        _section("Accuracy over time", daily, figures.rolling_mae),
        _section("Hit rate by edge", bets, lambda b: figures.edge_figure(b, "hit_rate")),
        _section("ROI by edge", bets, lambda b: figures.edge_figure(b, "roi")),
        _section("Reliability of p_over", reliability, figures.reliability),
        _section("Coverage", coverage, figures.coverage_figure),
        _section("Agreement", agreement, figures.agreement_figure),
        _section("Confidence", confidence, figures.calibration_figure),
    ]


def _section(title: str, rows: pd.DataFrame, draw: Callable[[pd.DataFrame], go.Figure]) -> str:
    """The titled section of ``draw(rows)``, or a note that the range has no such rows."""
    if rows.empty:
        return f"<section><h2>{html.escape(title)}</h2><p class='empty'>no data in the range</p></section>"
    body = draw(rows).to_html(
        full_html=False, include_plotlyjs=False, config={"displaylogo": False}
    )
    return f"<section><h2>{html.escape(title)}</h2><div class='chart'>{body}</div></section>"


def _slate(warehouse: Warehouse, day: dt.date) -> str:
    picks = read_view(warehouse, "todays_picks", day, day, "pick_rank")
    if picks.empty:
        return f"<section><h2>Slate of {day}</h2><p class='empty'>no OVER/UNDER pick</p></section>"
    table = picks[list(SLATE_COLUMNS)].rename(columns=SLATE_COLUMNS)
    for column in ("flags", "systems"):
        table[column] = table[column].map(lambda v: ", ".join(v) if v is not None else "")
    rendered = table.to_html(index=False, float_format=lambda v: f"{v:.2f}", na_rep="", border=0)
    return f"<section><h2>Slate of {day}: the ensemble's picks by |edge|</h2>{rendered}</section>"


def _page(start: dt.date, end: dt.date, in_sample: str, sections: list[str]) -> str:
    generated = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>strikeouts report {start} to {end}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem; color: #222; }}
table {{ border-collapse: collapse; font-size: 0.85rem; }}
th, td {{ padding: 0.2rem 0.5rem; border-bottom: 1px solid #ddd; text-align: right; }}
.empty {{ color: #888; }} footer {{ margin-top: 3rem; font-size: 0.8rem; color: #555; }}
</style>
<script type="text/javascript">{get_plotlyjs()}</script>
</head><body>
<h1>strikeouts: {start} to {end}</h1>
<p>Generated {generated}. Hit rates exclude pushes and voids; a system that did not answer is
missing, never 0. Grades from the warehouse's results (graded_predictions).</p>
<p class="in-sample"><strong>In sample:</strong> {html.escape(in_sample)}.</p>
{"".join(sections)}
<footer><p>{html.escape(RETROSHEET_NOTICE)}</p></footer>
</body></html>
"""
