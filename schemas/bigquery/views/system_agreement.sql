-- Per date, agreement level of the pitcher-game (system_comparison) and system: how many
-- pitcher-games, how often the components made the same call, and each system's error there,
-- so MAE when the systems agree can be set against MAE when they do not. in_sample rows
-- (graded_predictions.in_sample) are grouped apart and flagged; windows leave them out unless
-- asked (strikeouts.monitoring.views.rollup).
-- COUNTIF(IFNULL(c, FALSE)): BigQuery counts 0 in an all-NULL group, DuckDB's count_if gives NULL.
CREATE OR REPLACE VIEW system_agreement AS
SELECT
  g.game_date,
  c.agreement,
  g.system_id,
  g.in_sample,
  COUNT(*) AS pitcher_games,
  COUNTIF(IFNULL(c.same_call, FALSE)) AS same_call,
  COUNTIF(g.error IS NOT NULL) AS graded,
  COALESCE(SUM(ABS(g.error)), 0) AS sum_abs_error,
  SAFE_DIVIDE(SUM(ABS(g.error)), COUNTIF(g.error IS NOT NULL)) AS mae
FROM graded_predictions AS g
JOIN system_comparison AS c
  ON c.game_id = g.game_id AND c.pitcher_id = g.pitcher_id AND c.system_id = g.system_id
GROUP BY g.game_date, c.agreement, g.system_id, g.in_sample
