"""Cloud Function ``ensemble``: pitcher-games (registration) and system-predictions → ensemble rows in BigQuery.

Thin on purpose: decoding, outcome mapping (2xx / raise / rejected / dead-letter), lazy
clients and logging live in strikeouts.cloud.entry; the handler in strikeouts.pipeline.
"""

import functions_framework
from cloudevents.http import CloudEvent

from strikeouts.cloud.functions import ensemble as _entry


@functions_framework.cloud_event
def ensemble(event: CloudEvent) -> None:
    """Handle one Pub/Sub delivery (returns to acknowledge, raises to be redelivered)."""
    _entry(event)
