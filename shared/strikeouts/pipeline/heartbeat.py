"""Heartbeat names: the table a scheduled component beats into and the tick's component name.

The monitoring check reads the newest beat; the cloud tick writes them
(``strikeouts.cloud.heartbeat``). Kept here so both sides name them once.
"""

from __future__ import annotations

HEARTBEATS = "pipeline_heartbeats"
TICK = "ensemble_tick"
