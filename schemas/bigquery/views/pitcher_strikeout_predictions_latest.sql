-- The newest run per pitcher-game and system: runs are ordered by run_created_at, then run_id
-- so two runs created in the same instant still give exactly one row.
CREATE OR REPLACE VIEW pitcher_strikeout_predictions_latest AS
SELECT *
FROM pitcher_strikeout_predictions
WHERE TRUE
QUALIFY ROW_NUMBER() OVER (
  PARTITION BY game_id, pitcher_id, system_id
  ORDER BY run_created_at DESC, run_id DESC
) = 1
