"""The scheduled monitoring job of the cloud: run the catalog, log one entry per check, and
optionally write the nightly report to a bucket.

Invariant: failed checks do not fail the job (they are log entries the alert policies count);
only a job that cannot run (warehouse unreachable) fails, which the function error-rate alert
sees. The views are Terraform's: the job never runs DDL in the cloud.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from zoneinfo import ZoneInfo

from strikeouts.adapters import open_warehouse
from strikeouts.logs import configure, get_logger
from strikeouts.monitoring.checks import CheckResult, failed_critical
from strikeouts.monitoring.service import log_results, monitor
from strikeouts.settings import Settings
from strikeouts.warehouse.base import Warehouse

# MLB's calendar: a game "on D" is on D in the eastern US, where the schedule is published
SCHEDULE_ZONE = ZoneInfo("America/New_York")
log = get_logger(__name__)


def checked_date(now: dt.datetime) -> dt.date:
    """The schedule date the job checks at ``now``."""
    return now.astimezone(SCHEDULE_ZONE).date()


def run_monitoring(settings: Settings, now: dt.datetime | None = None) -> list[CheckResult]:
    """Run every check for today's schedule date, log each, and write the report if asked."""
    configure(settings.log_format)
    now = now or dt.datetime.now(dt.UTC)
    date = checked_date(now)
    warehouse = open_warehouse(settings)
    try:
        results = monitor(warehouse, date, settings, now=now, create_views=False)
        log_results(results, date)
        if settings.monitor.report_bucket:
            _publish_report(warehouse, settings, date)
    finally:
        warehouse.close()
    log.info("monitoring done", checked_date=date.isoformat(), failed=failed_critical(results))
    return results


def _publish_report(warehouse: Warehouse, settings: Settings, date: dt.date) -> None:
    """Write the window's report and upload it as ``reports/report_START_END.html``."""
    from strikeouts.cloud.clients import storage_client
    from strikeouts.monitoring.report import write_report

    start = date - dt.timedelta(days=settings.monitor.window_days - 1)
    with tempfile.TemporaryDirectory() as folder:
        path = write_report(warehouse, start, date, Path(folder), create_views=False)
        bucket = storage_client(settings).bucket(settings.monitor.report_bucket)
        blob = bucket.blob(f"reports/{path.name}")
        blob.upload_from_filename(str(path), content_type="text/html")
    log.info("report written", bucket=settings.monitor.report_bucket, name=path.name)
