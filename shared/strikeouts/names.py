"""Names every layer shares: the logical topics, the model aliases, the prediction tables.

Invariant: each of these names is spelled here and nowhere else in the package; a layer that
needs one imports it from here (this module imports nothing, so every layer may).
"""

from __future__ import annotations

# --- logical topics: what handlers publish to and subscribe on (a deployment maps each to
# --- its topic id: ``settings.topics``, whose defaults are these names) -------------------
GAME_SCHEDULE = "game-schedule"
PITCHER_GAMES = "pitcher-games"
SYSTEM_PREDICTIONS = "system-predictions"
ENSEMBLE_TICKS = "ensemble-ticks"
GAMEDAY_SCHEDULE = "gameday-schedule"
GAMEDAY_RESULTS = "gameday-results"
DEAD_LETTER = "dead-letter"
"""Where Pub/Sub forwards a message that failed every delivery attempt."""
DEAD_LETTER_SUBSCRIPTION = "dead-letter-inspect"
"""The pull subscription on :data:`DEAD_LETTER` that ``strikeouts dead-letters`` reads."""
PREDICTIONS_COMPLETE = "predictions-complete"
"""Where the ensemble tick announces that a run's predictions for a game date are final."""
PREDICTIONS_COMPLETE_SUBSCRIPTION = "predictions-complete-inspect"
"""The operators' pull subscription on :data:`PREDICTIONS_COMPLETE` (consumers make their own)."""

# --- model aliases ----------------------------------------------------------------------
CHAMPION = "champion"
"""The alias a system serves (the default of every model reference)."""
CHALLENGER = "challenger"
"""The alias run in shadow beside the champion: never aggregated, kept in
:data:`SHADOW_PREDICTIONS`."""

# --- warehouse tables of the pipeline's output ------------------------------------------
PREDICTIONS = "pitcher_strikeout_predictions"
PREDICTIONS_LATEST = "pitcher_strikeout_predictions_latest"
"""The view of each pitcher-game's latest row per system."""
PREDICTIONS_STAGING = "pitcher_strikeout_predictions_staging"
"""Where the cloud ensemble streams rows before they are merged into :data:`PREDICTIONS`."""
SHADOW_PREDICTIONS = "shadow_predictions"
REJECTED_MESSAGES = "rejected_messages"
DEAD_LETTERS = "dead_letters"
