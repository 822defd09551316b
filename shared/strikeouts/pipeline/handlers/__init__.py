"""Transport-agnostic handlers: each takes a raw payload and talks only to ports."""

from strikeouts.pipeline.handlers.ensemble import EnsembleHandler
from strikeouts.pipeline.handlers.fanout import Fanout
from strikeouts.pipeline.handlers.system import SystemHandler

__all__ = ["EnsembleHandler", "Fanout", "SystemHandler"]
