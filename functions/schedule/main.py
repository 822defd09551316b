"""Cloud Function ``schedule``: a Cloud Scheduler trigger → today's live slate, published to game-schedule.

Thin on purpose: the outcome mapping lives in strikeouts.cloud.entry, the work in
strikeouts.cloud.gameday and strikeouts.gameday.
"""

import functions_framework
from cloudevents.http import CloudEvent

from strikeouts.cloud.gameday import schedule as _entry


@functions_framework.cloud_event
def schedule(event: CloudEvent) -> None:
    """Handle one Pub/Sub delivery (returns to acknowledge, raises to be redelivered)."""
    _entry(event)
