"""Run the catalog for a date and log one structured entry per check.

Invariant: the log entry's fields (``check``, ``check_severity``, ``status``) are what the
log-based metrics in ``infra/monitoring.tf`` filter on; renaming one breaks the alerts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from strikeouts.logs import get_logger
from strikeouts.monitoring.catalog import by_name
from strikeouts.monitoring.checks import CheckContext, CheckResult, run_checks
from strikeouts.monitoring.views import ensure_views
from strikeouts.pipeline.config import PipelineConfig
from strikeouts.settings import Settings
from strikeouts.warehouse.base import Warehouse

LOG_MESSAGE = "monitoring check"
log = get_logger(__name__)


def monitor(
    warehouse: Warehouse,
    date: dt.date,
    settings: Settings,
    *,
    now: dt.datetime | None = None,
    names: Sequence[str] | None = None,
    create_views: bool = True,
    config: PipelineConfig | None = None,
    embedded: bool | None = None,
    include_in_sample: bool = False,
) -> list[CheckResult]:
    """Every check (or those named) for ``date``; views are (re)created first unless told not.
    ``config`` is the deployment's (the rollout phase: expected systems, ensemble on or off);
    ``embedded`` overrides the path judged from the warehouse; ``include_in_sample`` lets the
    accuracy checks count rows predicted by a model fitted on their date or later."""
    checks = by_name(list(names or []))
    if create_views:
        ensure_views(warehouse)
    context = CheckContext(
        warehouse,
        date,
        settings,
        now or dt.datetime.now(dt.UTC),
        config or settings.pipeline,
        embedded,
        include_in_sample,
    )
    return run_checks(checks, context)


def log_results(results: Sequence[CheckResult], date: dt.date) -> None:
    """One entry per check: ERROR for a failed critical check, WARNING for other failures."""
    for result in results:
        emit = log.info
        if result.status == "fail":
            emit = log.error if result.severity == "critical" else log.warning
        emit(
            LOG_MESSAGE,
            check=result.check,
            check_severity=result.severity,
            status=result.status,
            value=result.value,
            threshold=result.threshold,
            detail=result.detail,
            checked_date=date.isoformat(),
        )
