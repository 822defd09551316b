"""Per-delivery context: the trace id a function carries from the message it handles into the
messages it publishes and the log lines it writes (one context per request thread)."""

from __future__ import annotations

import uuid
from contextvars import ContextVar

TRACE_ATTRIBUTE = "trace_id"

_trace_id: ContextVar[str | None] = ContextVar("strikeouts_trace_id", default=None)


def new_trace_id() -> str:
    """A fresh 32-hex-digit trace id (the Cloud Trace format)."""
    return uuid.uuid4().hex


def current_trace_id() -> str | None:
    """The trace id of the delivery being handled, if any."""
    return _trace_id.get()


def set_trace_id(trace_id: str | None) -> None:
    """Make ``trace_id`` the current one for this thread's delivery."""
    _trace_id.set(trace_id)


def trace_resource(project: str, trace_id: str) -> str:
    """The ``logging.googleapis.com/trace`` value Cloud Logging links to Cloud Trace."""
    return f"projects/{project}/traces/{trace_id}"
