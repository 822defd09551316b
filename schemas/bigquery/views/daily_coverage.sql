-- Per date: pitcher-games, systems per pitcher-game against the expected ones (min/max),
-- complete pitcher-games, fallbacks, late system rows, and the dead letters and rejected
-- messages of that day. Predictions are dated by game date; dead letters and rejections by the
-- day they happened (what an operator reads on the day).
-- COUNTIF(IFNULL(c, FALSE)): BigQuery counts 0 in an all-NULL group, DuckDB's count_if gives NULL.
CREATE OR REPLACE VIEW daily_coverage AS
WITH per_pitcher_game AS (
  -- system_comparison has a row per pitcher-game and system: one per pitcher-game here
  SELECT DISTINCT game_date, game_id, pitcher_id, systems_present, systems_expected, ensemble_state
  FROM system_comparison
),
per_date AS (
  SELECT
    game_date,
    COUNT(*) AS pitcher_games,
    MIN(systems_present) AS min_systems,
    MAX(systems_present) AS max_systems,
    MAX(systems_expected) AS expected_systems,
    COUNTIF(systems_present = systems_expected) AS complete_pitcher_games,
    COUNTIF(ensemble_state = 'fallback') AS fallbacks
  FROM per_pitcher_game
  GROUP BY game_date
),
late_rows AS (
  SELECT game_date, COUNTIF(IFNULL(late, FALSE)) AS late_rows
  FROM graded_predictions
  GROUP BY game_date
),
dead AS (
  SELECT DATE(publish_time) AS game_date, COUNT(*) AS dead_letters
  FROM dead_letters
  GROUP BY game_date
),
rejected AS (
  SELECT DATE(received_at) AS game_date, COUNT(*) AS rejected_messages
  FROM rejected_messages
  GROUP BY game_date
),
dates AS (
  SELECT game_date FROM per_date
  UNION DISTINCT
  SELECT game_date FROM dead
  UNION DISTINCT
  SELECT game_date FROM rejected
)
SELECT
  d.game_date,
  COALESCE(g.pitcher_games, 0) AS pitcher_games,
  g.min_systems,
  g.max_systems,
  g.expected_systems,
  COALESCE(g.complete_pitcher_games, 0) AS complete_pitcher_games,
  COALESCE(g.pitcher_games, 0) - COALESCE(g.complete_pitcher_games, 0)
    AS incomplete_pitcher_games,
  COALESCE(g.fallbacks, 0) AS fallbacks,
  COALESCE(l.late_rows, 0) AS late_rows,
  COALESCE(x.dead_letters, 0) AS dead_letters,
  COALESCE(r.rejected_messages, 0) AS rejected_messages
FROM dates AS d
LEFT JOIN per_date AS g ON g.game_date = d.game_date
LEFT JOIN late_rows AS l ON l.game_date = d.game_date
LEFT JOIN dead AS x ON x.game_date = d.game_date
LEFT JOIN rejected AS r ON r.game_date = d.game_date
