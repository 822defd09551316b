"""Cloud Function ``results``: a Cloud Scheduler trigger → yesterday's finals into pitcher_starts, then grades.

Thin on purpose: the outcome mapping lives in strikeouts.cloud.entry, the work in
strikeouts.cloud.gameday and strikeouts.gameday.
"""

import functions_framework
from cloudevents.http import CloudEvent

from strikeouts.cloud.gameday import results as _entry


@functions_framework.cloud_event
def results(event: CloudEvent) -> None:
    """Handle one Pub/Sub delivery (returns to acknowledge, raises to be redelivered)."""
    _entry(event)
