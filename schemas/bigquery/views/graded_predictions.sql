-- Every latest prediction with its outcome: the ONE place that grades (every monitoring view
-- reads graded_predictions). A row the results intake graded (prediction_grades: live box
-- scores, postponed and suspended games, scratches) takes its actual from there; a row never
-- graded (history replayed offline) is graded here from pitcher_starts, by the same rules.
-- Books' rules: push when actual = line; void when the pitcher did not start (a graded no-start,
-- or the date's results are in without him); pending while the date has no results yet.
-- A bet needs a call (OVER/UNDER), a line and the price of the side called.
-- answered: the row stands behind a prediction or a deliberate skip (ok, skip, or a fallback
-- with a prediction); an error row, or a fallback without one, is as absent as no row
-- (strikeouts.monitoring.answers.ANSWERED_SQL, the same text).
-- in_sample: the row's model was fitted on starts dated before its train_end, and the game is
-- one of those days (game_date < train_end): its error is not a forecast's, so every accuracy,
-- calibration and ROI window leaves it out unless asked (strikeouts.monitoring.views.rollup).
-- A row whose train_end is unknown (written before the column existed) is not flagged.
CREATE OR REPLACE VIEW graded_predictions AS
WITH results_in AS (
  SELECT DISTINCT game_date FROM pitcher_starts
),
joined AS (
  SELECT
    p.*,
    IF(g.run_id IS NOT NULL, g.actual_strikeouts, s.strikeouts) AS actual_strikeouts,
    IF(g.run_id IS NOT NULL, g.close_line, l.close_line) AS close_line,
    IF(g.run_id IS NOT NULL, g.close_over, l.close_over) AS close_over,
    IF(g.run_id IS NOT NULL, g.close_under, l.close_under) AS close_under,
    CASE
      WHEN g.run_id IS NOT NULL AND g.actual_strikeouts IS NOT NULL THEN 'graded'
      WHEN g.run_id IS NOT NULL THEN 'void'
      WHEN s.strikeouts IS NOT NULL THEN 'graded'
      WHEN r.game_date IS NOT NULL THEN 'void'
      ELSE 'pending'
    END AS grade_status,
    CASE p.recommendation WHEN 'OVER' THEN p.over_odds WHEN 'UNDER' THEN p.under_odds END
      AS bet_price
  FROM pitcher_strikeout_predictions_latest AS p
  LEFT JOIN prediction_grades AS g
    ON g.run_id = p.run_id AND g.game_id = p.game_id AND g.pitcher_id = p.pitcher_id
    AND g.system_id = p.system_id
  LEFT JOIN pitcher_starts AS s ON s.game_id = p.game_id AND s.pitcher_id = p.pitcher_id
  LEFT JOIN prop_lines AS l ON l.game_id = p.game_id AND l.pitcher_id = p.pitcher_id
  LEFT JOIN results_in AS r ON r.game_date = p.game_date
),
resulted AS (
  SELECT
    *,
    -- a skipped row (a hard red flag) stands behind no number: never graded, for any system
    -- alike, so systems and the ensemble are judged on the same pitcher-games
    IF(status = 'skip', NULL, predicted_strikeouts - actual_strikeouts) AS error,
    -- the distribution's median: the whole number that minimises the absolute error
    IF(status = 'skip', NULL, predicted_median - actual_strikeouts) AS median_error,
    CASE
      WHEN status = 'skip' THEN NULL
      WHEN line IS NULL OR actual_strikeouts IS NULL OR actual_strikeouts = line THEN NULL
      WHEN actual_strikeouts > line THEN 1
      ELSE 0
    END AS over_hit,
    CASE
      WHEN recommendation IS NULL OR recommendation NOT IN ('OVER', 'UNDER') THEN NULL
      WHEN line IS NULL OR bet_price IS NULL THEN NULL
      WHEN grade_status = 'void' THEN 'VOID'
      WHEN grade_status = 'pending' THEN NULL
      WHEN actual_strikeouts = line THEN 'PUSH'
      WHEN recommendation = 'OVER' AND actual_strikeouts > line THEN 'WIN'
      WHEN recommendation = 'UNDER' AND actual_strikeouts < line THEN 'WIN'
      ELSE 'LOSS'
    END AS bet_result
  FROM joined
)
SELECT
  *,
  (status IN ('ok', 'skip') OR (status = 'fallback' AND predicted_strikeouts IS NOT NULL))
    AS answered,
  IFNULL(game_date < train_end, FALSE) AS in_sample,
  CASE bet_result
    WHEN 'WIN' THEN IF(bet_price > 0, bet_price / 100.0, 100.0 / ABS(bet_price))
    WHEN 'LOSS' THEN -1.0
    WHEN 'PUSH' THEN 0.0
    WHEN 'VOID' THEN 0.0
  END AS bet_profit
FROM resulted
