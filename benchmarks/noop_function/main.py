"""A Cloud Function that does nothing: the transport baseline of ``stack_replay.py``, and the
cold-start floor of ``cold_start_floor.py`` (which names modules in ``NOOP_IMPORTS``, comma-
separated, for it to import first, as a real function must).

Each delivery writes one line to stderr so the benchmark can count deliveries.
"""

import importlib
import os
import sys

import functions_framework
from cloudevents.http import CloudEvent

for _module in filter(None, os.environ.get("NOOP_IMPORTS", "").split(",")):
    importlib.import_module(_module)


@functions_framework.cloud_event
def noop(event: CloudEvent) -> None:
    """Acknowledge the delivery."""
    sys.stderr.write("delivered\n")
    sys.stderr.flush()
