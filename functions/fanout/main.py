"""Cloud Function ``fanout``: game-schedule event → one pitcher-games message per probable starter.

Thin on purpose: decoding, outcome mapping (2xx / raise / rejected / dead-letter), lazy
clients and logging live in strikeouts.cloud.entry; the handler in strikeouts.pipeline.
"""

import functions_framework
from cloudevents.http import CloudEvent

from strikeouts.cloud.functions import fanout as _entry


@functions_framework.cloud_event
def fanout(event: CloudEvent) -> None:
    """Handle one Pub/Sub delivery (returns to acknowledge, raises to be redelivered)."""
    _entry(event)
