"""Cloud Function ``predict_<system_id>`` for every registered system: pitcher-game → that
system's system-prediction (its model loaded once per instance).

One folder, deployed once per system in ``strikeouts.models.systems``: each function's
``STRIKEOUTS_SYSTEM_ID`` names its system (Terraform and the local stack set it). Thin on
purpose: decoding, outcome mapping (2xx / raise / rejected / dead-letter), lazy clients and
logging live in strikeouts.cloud.entry; the handler in strikeouts.pipeline.
"""

import functions_framework
from cloudevents.http import CloudEvent

from strikeouts.cloud.functions import predict_system as _entry


@functions_framework.cloud_event
def predict_system(event: CloudEvent) -> None:
    """Handle one Pub/Sub delivery (returns to acknowledge, raises to be redelivered)."""
    _entry(event)
