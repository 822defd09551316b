-- Every latest prediction with its outcome: the ONE place that grades. Until the game-day
-- issue's prediction_grades lands, the actual count comes from pitcher_starts; switching means
-- changing this file only (every monitoring view reads graded_predictions).
-- Books' rules: push when actual = line; void when the date's results are in but this pitcher
-- did not start (the bet is refunded); pending while the date has no results yet.
-- A bet needs a call (OVER/UNDER), a line and the price of the side called.
CREATE OR REPLACE VIEW graded_predictions AS
WITH results_in AS (
  SELECT DISTINCT game_date FROM pitcher_starts
),
joined AS (
  SELECT
    p.*,
    s.strikeouts AS actual_strikeouts,
    l.close_line,
    l.close_over,
    l.close_under,
    CASE
      WHEN s.strikeouts IS NOT NULL THEN 'graded'
      WHEN r.game_date IS NOT NULL THEN 'void'
      ELSE 'pending'
    END AS grade_status,
    CASE p.recommendation WHEN 'OVER' THEN p.over_odds WHEN 'UNDER' THEN p.under_odds END
      AS bet_price
  FROM pitcher_strikeout_predictions_latest AS p
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
  CASE bet_result
    WHEN 'WIN' THEN IF(bet_price > 0, bet_price / 100.0, 100.0 / ABS(bet_price))
    WHEN 'LOSS' THEN -1.0
    WHEN 'PUSH' THEN 0.0
    WHEN 'VOID' THEN 0.0
  END AS bet_profit
FROM resulted
