"""Cloud Function ``predict_v1_6_rolling``: pitcher-game → v1_6_rolling system-prediction (model loaded once per instance).

Thin on purpose: decoding, outcome mapping (2xx / raise / rejected / dead-letter), lazy
clients and logging live in strikeouts.cloud.entry; the handler in strikeouts.pipeline.
"""

import functions_framework
from cloudevents.http import CloudEvent

from strikeouts.cloud.functions import predict_v1_6_rolling as _entry


@functions_framework.cloud_event
def predict_v1_6_rolling(event: CloudEvent) -> None:
    """Handle one Pub/Sub delivery (returns to acknowledge, raises to be redelivered)."""
    _entry(event)
