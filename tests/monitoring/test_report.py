"""The HTML report: one self-contained file, and in a real headless Chromium every chart renders
with no console error (a screenshot lands in the test's temporary folder)."""

from __future__ import annotations

import base64
import json
import os
import re
from pathlib import Path

import numpy as np
import pytest

from strikeouts.data.notice import RETROSHEET_NOTICE
from strikeouts.monitoring.report import ReportError, write_report
from strikeouts.warehouse import Warehouse
from strikeouts.warehouse.duckdb_backend import DuckDBWarehouse

from .browser import Browser, chromium_path
from .conftest import FIRST, LAST, Rows, load
from .frames import cell

pytestmark = pytest.mark.data
CHARTS_JS = """
Array.from(document.querySelectorAll('.plotly-graph-div')).map(el => ({
  id: el.id,
  traces: (el._fullData || []).length,
  points: (el._fullData || []).reduce((n, t) => n + ((t.x && t.x.length) || 0), 0),
  svg: el.querySelectorAll('svg.main-svg').length,
}))
"""


@pytest.fixture(scope="module")
def report_path(replayed_rows: Rows, tmp_path_factory: pytest.TempPathFactory) -> Path:
    warehouse = load(DuckDBWarehouse(":memory:"), replayed_rows)
    try:
        return write_report(warehouse, FIRST, LAST, tmp_path_factory.mktemp("report"))
    finally:
        warehouse.close()


def test_the_report_is_one_offline_file_with_every_section(report_path: Path) -> None:
    page = report_path.read_text()
    assert not re.search(r"<script[^>]+src=", page)  # plotly.js inside, no CDN
    assert "Plotly" in page and page.count('class="plotly-graph-div"') == 7
    assert RETROSHEET_NOTICE in page
    assert f"Slate of {LAST}" in page and "<table" in page


def test_an_empty_range_is_refused(replayed_rows: Rows, tmp_path: Path) -> None:
    warehouse = load(DuckDBWarehouse(":memory:"), replayed_rows)
    with pytest.raises(ReportError, match="no predictions"):
        write_report(warehouse, LAST.replace(year=2020), LAST.replace(year=2020), tmp_path)
    warehouse.close()


def test_every_chart_renders_in_headless_chromium_without_errors(
    report_path: Path, tmp_path: Path
) -> None:
    binary = chromium_path()
    if binary is None:
        message = "chromium is not installed (apt-get install chromium)"
        pytest.fail(message) if os.environ.get("CI") else pytest.skip(message)
    browser = Browser(binary, tmp_path / "profile")
    try:
        run = browser.load(report_path.as_uri(), CHARTS_JS, tmp_path / "report.png")
    finally:
        browser.close()
    assert run.errors == []
    charts = run.result
    assert len(charts) == 7
    for chart in charts:
        assert chart["traces"] > 0 and chart["points"] > 0 and chart["svg"] > 0, chart
    screenshot = (tmp_path / "report.png").read_bytes()
    assert screenshot.startswith(b"\x89PNG") and len(screenshot) > 20_000


def test_the_browser_probe_sees_console_errors_and_missing_charts(tmp_path: Path) -> None:
    binary = chromium_path()
    if binary is None:
        message = "chromium is not installed (apt-get install chromium)"
        pytest.fail(message) if os.environ.get("CI") else pytest.skip(message)
    page = tmp_path / "broken.html"
    page.write_text(
        "<html><body><div class='plotly-graph-div'></div>"
        "<script>console.error('boom'); undefinedFunction();</script></body></html>"
    )
    browser = Browser(binary, tmp_path / "profile")
    try:
        run = browser.load(page.as_uri(), CHARTS_JS, tmp_path / "broken.png")
    finally:
        browser.close()
    assert any("boom" in e for e in run.errors) and len(run.errors) >= 2
    assert run.result == [{"id": "", "traces": 0, "points": 0, "svg": 0}]


@pytest.mark.emulator
def test_the_report_reads_the_same_figures_from_bigquery(
    both_loaded: tuple[Warehouse, Warehouse], tmp_path: Path
) -> None:
    pages = [
        write_report(w, FIRST, LAST, tmp_path / w.name, create_views=False).read_text()
        for w in both_loaded
    ]
    duck, bq = (_figure_data(page) for page in pages)
    assert len(duck) == 7 and duck == bq
    assert (
        pages[0].split("<h2>Slate")[1].split("</table>")[0]
        == (pages[1].split("<h2>Slate")[1].split("</table>")[0])
    )


def _figure_data(page: str) -> list[object]:
    """Each chart's data argument, numbers to 1e-9 (div ids are random: only data is compared)."""
    calls = re.findall(r'Plotly\.newPlot\(\s*"[^"]+",\s*(\[.*?\]),\s*\{', page, flags=re.S)
    return [_numbers(json.loads(c)) for c in calls]


def _numbers(value: object) -> object:
    """Plotly's base64 arrays decoded and every float rounded, so summation order is moot."""
    if isinstance(value, dict):
        if set(value) == {"bdata", "dtype"}:
            array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
            return [cell(v) for v in array.tolist()]
        return {k: _numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_numbers(v) for v in value]
    return cell(value)
