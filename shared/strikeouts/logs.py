"""Structured logging: JSON lines that Cloud Logging understands, or a console renderer."""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog

_LEVEL_TO_SEVERITY = {
    "debug": "DEBUG",
    "info": "INFO",
    "warning": "WARNING",
    "error": "ERROR",
    "critical": "CRITICAL",
    "exception": "ERROR",
}


def _cloud_logging_fields(_: Any, method: str, event: dict[str, Any]) -> dict[str, Any]:
    event["severity"] = _LEVEL_TO_SEVERITY.get(method, "DEFAULT")
    event["message"] = event.pop("event", "")
    trace = event.pop("trace", None)
    if trace:
        event["logging.googleapis.com/trace"] = trace
    labels = {
        k: str(event.pop(k)) for k in ("run_id", "game_id", "pitcher_id", "system_id") if k in event
    }
    if labels:
        event["logging.googleapis.com/labels"] = labels
    return event


def _stderr_logger(*_args: Any) -> structlog.PrintLogger:
    """A logger on the current ``sys.stderr`` (read when the logger is made, so a stream
    swapped in later, as a test runner does, is the one written to)."""
    return structlog.PrintLogger(sys.stderr)


def configure(fmt: str = "console", level: int = logging.INFO) -> None:
    """Set up structlog once per process; ``json`` for Cloud Logging, ``console`` for people."""
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
    ]
    if fmt == "json":
        processors = [
            *shared,
            structlog.processors.TimeStamper(fmt="iso", key="time"),
            _cloud_logging_fields,
            structlog.processors.JSONRenderer(),
        ]
    else:
        processors = [*shared, structlog.dev.ConsoleRenderer()]
    structlog.configure(
        processors=processors,
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=_stderr_logger,
        cache_logger_on_first_use=False,
    )


def get_logger(name: str) -> Any:
    """A structlog logger bound to ``name``."""
    return structlog.get_logger(name)
