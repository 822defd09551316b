-- Challenger vs champion per system, on the same graded pitcher-games: every shadow row
-- (shadow_predictions, written by the challenger while it shadows) paired with the champion's
-- row of the same run, game, pitcher and system (graded_predictions: the newest run's rows,
-- graded there), both with a number. Rows of a challenger that errored or skipped do not pair,
-- nor pairs where either model was fitted on starts up to a day after the game (the champion's
-- graded_predictions.in_sample, the same rule on the shadow row): a challenger is not promoted
-- on starts it was trained on.
-- Hit rate: calls (OVER/UNDER) won / (won + lost) at the row's line, pushes excluded; Brier of
-- p_over on the pairs where both have a p_over and the line did not push.
-- Decide a promotion on *_delta (challenger - champion: negative MAE and Brier deltas are better)
-- once n is large enough.
CREATE OR REPLACE VIEW challenger_comparison AS
WITH pairs AS (
  SELECT
    c.system_id,
    c.game_date,
    c.model_version AS champion_version,
    s.model_version AS challenger_version,
    c.predicted_strikeouts - c.actual_strikeouts AS champion_error,
    s.predicted_strikeouts - c.actual_strikeouts AS challenger_error,
    IF(c.p_over IS NOT NULL AND s.p_over IS NOT NULL, c.over_hit, NULL) AS both_over_hit,
    c.p_over AS champion_p,
    s.p_over AS challenger_p,
    CASE
      WHEN c.recommendation IN ('OVER', 'UNDER') AND c.over_hit IS NOT NULL
        THEN IF((c.recommendation = 'OVER') = (c.over_hit = 1), 1, 0)
    END AS champion_hit,
    CASE
      WHEN s.recommendation IN ('OVER', 'UNDER') AND c.over_hit IS NOT NULL
        THEN IF((s.recommendation = 'OVER') = (c.over_hit = 1), 1, 0)
    END AS challenger_hit
  FROM shadow_predictions AS s
  JOIN graded_predictions AS c
    ON c.run_id = s.run_id AND c.game_id = s.game_id AND c.pitcher_id = s.pitcher_id
    AND c.system_id = s.system_id
  WHERE c.error IS NOT NULL AND s.status = 'ok' AND s.predicted_strikeouts IS NOT NULL
    AND NOT c.in_sample AND NOT IFNULL(s.game_date < s.train_end, FALSE)
),
sums AS (
  SELECT
    system_id,
    champion_version,
    challenger_version,
    COUNT(*) AS n,
    MIN(game_date) AS first_date,
    MAX(game_date) AS last_date,
    AVG(ABS(champion_error)) AS champion_mae,
    AVG(ABS(challenger_error)) AS challenger_mae,
    AVG(champion_error) AS champion_bias,
    AVG(challenger_error) AS challenger_bias,
    COUNTIF(IFNULL(both_over_hit IS NOT NULL, FALSE)) AS brier_n,
    AVG(IF(both_over_hit IS NOT NULL, POW(champion_p - both_over_hit, 2), NULL)) AS champion_brier,
    AVG(IF(both_over_hit IS NOT NULL, POW(challenger_p - both_over_hit, 2), NULL))
      AS challenger_brier,
    COUNTIF(IFNULL(champion_hit IS NOT NULL, FALSE)) AS champion_bets,
    COUNTIF(IFNULL(challenger_hit IS NOT NULL, FALSE)) AS challenger_bets,
    AVG(champion_hit) AS champion_hit_rate,
    AVG(challenger_hit) AS challenger_hit_rate
  FROM pairs
  GROUP BY system_id, champion_version, challenger_version
)
SELECT
  *,
  challenger_mae - champion_mae AS mae_delta,
  challenger_bias - champion_bias AS bias_delta,
  challenger_brier - champion_brier AS brier_delta,
  challenger_hit_rate - champion_hit_rate AS hit_rate_delta
FROM sums
