"""Cloud Function ``monitor``: Cloud Scheduler calls it (HTTP) every night and before first pitch.

Runs the monitoring catalog on the warehouse, logs one structured entry per check (the
log-based metrics and alert policies in infra/monitoring.tf count them) and answers with the
results as JSON. Thin on purpose: the job is strikeouts.cloud.monitor_job.
"""

import json

import functions_framework
from flask import Request

from strikeouts.cloud.monitor_job import run_monitoring
from strikeouts.settings import get_settings


@functions_framework.http
def monitor(request: Request) -> tuple[str, int, dict[str, str]]:
    """Run every check; 200 with the results (failed checks are alerts, not errors)."""
    results = run_monitoring(get_settings())
    body = json.dumps([r.as_dict() for r in results])
    return body, 200, {"Content-Type": "application/json"}
