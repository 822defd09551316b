"""A Cloud Function that does nothing: the transport baseline of ``stack_replay.py``.

Each delivery writes one line to stderr so the benchmark can count deliveries.
"""

import sys

import functions_framework
from cloudevents.http import CloudEvent


@functions_framework.cloud_event
def noop(event: CloudEvent) -> None:
    """Acknowledge the delivery."""
    sys.stderr.write("delivered\n")
    sys.stderr.flush()
