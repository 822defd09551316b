-- The newest run per pitcher-game and system: runs are ordered by run_created_at, then run_id
-- so two runs created in the same instant still give exactly one row. A deploy's canary runs
-- (run ids starting 'canary-', strikeouts.deploy.operations.CANARY_PREFIX) are left out here,
-- so no view built on this one (every monitoring view) shows a canary's rows to a user.
CREATE OR REPLACE VIEW pitcher_strikeout_predictions_latest AS
SELECT *
FROM pitcher_strikeout_predictions
WHERE run_id NOT LIKE 'canary-%'
QUALIFY ROW_NUMBER() OVER (
  PARTITION BY game_id, pitcher_id, system_id
  ORDER BY run_created_at DESC, run_id DESC
) = 1
