"""The ``monitor`` Cloud Function under functions-framework: one JSON log entry per check with the
fields the log-based metrics filter on, and the results in the response."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import functions_framework
import pytest

from strikeouts.cloud.monitor_job import checked_date, run_monitoring
from strikeouts.data.notice import RETROSHEET_NOTICE
from strikeouts.devstack.emulators import ServerProcess
from strikeouts.monitoring.catalog import CATALOG
from strikeouts.monitoring.service import LOG_MESSAGE
from strikeouts.settings import PROJECT_ROOT, Settings, get_settings
from strikeouts.warehouse.duckdb_backend import DuckDBWarehouse

from .conftest import FIRST, LAST, Rows, load

pytestmark = pytest.mark.data


def test_the_checked_date_is_the_eastern_schedule_date() -> None:
    late_evening_east = dt.datetime(2025, 6, 17, 3, 30, tzinfo=dt.UTC)  # 23:30 EDT on the 16th
    assert checked_date(late_evening_east) == dt.date(2025, 6, 16)


def test_the_job_logs_one_entry_per_check_and_a_failure_as_error(
    tmp_path: Path, replayed_rows: Rows, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "warehouse.duckdb"
    store = load(DuckDBWarehouse(path), replayed_rows)
    store.execute(
        "DELETE FROM pitcher_strikeout_predictions WHERE game_date = @d AND system_id = 'v1_baseline'",
        {"d": LAST},
    )
    store.close()
    settings = Settings(warehouse=str(path), log_format="json", monitor={"window_days": 7})
    now = dt.datetime.combine(LAST, dt.time(23), tzinfo=dt.UTC)
    results = run_monitoring(settings, now=now)
    entries = [
        json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")
    ]
    checks = [e for e in entries if e["message"] == LOG_MESSAGE]
    assert [e["check"] for e in checks] == [c.name for c in CATALOG] == [r.check for r in results]
    silent = next(e for e in checks if e["check"] == "system_silent")
    assert (silent["severity"], silent["status"], silent["check_severity"]) == (
        "ERROR",
        "fail",
        "critical",
    )
    assert all(e["checked_date"] == LAST.isoformat() for e in checks)


def test_the_http_function_answers_with_the_results(
    tmp_path: Path, replayed_rows: Rows, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "warehouse.duckdb"
    load(DuckDBWarehouse(path), replayed_rows).close()
    monkeypatch.setenv("STRIKEOUTS_WAREHOUSE", str(path))
    get_settings.cache_clear()
    app = functions_framework.create_app(
        "monitor", str(PROJECT_ROOT / "functions" / "monitor" / "main.py"), "http"
    )
    reply = app.test_client().post("/")
    assert reply.status_code == 200
    assert [r["check"] for r in reply.get_json()] == [c.name for c in CATALOG]


@pytest.mark.emulator
def test_the_job_uploads_the_report_to_the_bucket(
    tmp_path: Path,
    replayed_rows: Rows,
    gcs_emulator: ServerProcess,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from strikeouts.cloud.clients import storage_client

    # the client reads the emulator from the environment: restored after the test
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs_emulator.endpoint)

    path = tmp_path / "warehouse.duckdb"
    load(DuckDBWarehouse(path), replayed_rows).close()
    settings = Settings(
        warehouse=str(path),
        monitor={"window_days": 7, "report_bucket": "reports-test"},
        stack={"storage_emulator_host": gcs_emulator.endpoint},
    )
    client = storage_client(settings)
    client.create_bucket("reports-test")
    run_monitoring(settings, now=dt.datetime.combine(LAST, dt.time(23), tzinfo=dt.UTC))
    blob = client.bucket("reports-test").blob(f"reports/report_{FIRST}_{LAST}.html")
    page = blob.download_as_text()
    assert RETROSHEET_NOTICE in page and page.count('class="plotly-graph-div"') == 7
