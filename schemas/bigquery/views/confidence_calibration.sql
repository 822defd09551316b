-- Per date, system and 10-point confidence bucket (0, 10, ... 90; 100 falls in 90): how many
-- predictions, their MAE and the hit rate of their calls (pushes and voids excluded), so the
-- confidence number can be judged: higher buckets should err less and hit more. in_sample rows
-- (graded_predictions.in_sample) are grouped apart and flagged; windows leave them out unless
-- asked (strikeouts.monitoring.views.rollup).
-- COUNTIF(IFNULL(c, FALSE)): BigQuery counts 0 in an all-NULL group, DuckDB's count_if gives NULL.
CREATE OR REPLACE VIEW confidence_calibration AS
SELECT
  game_date,
  system_id,
  in_sample,
  LEAST(CAST(FLOOR(confidence / 10) AS INT64) * 10, 90) AS confidence_bucket,
  COUNT(*) AS predictions,
  COUNTIF(error IS NOT NULL) AS graded,
  COALESCE(SUM(ABS(error)), 0) AS sum_abs_error,
  SAFE_DIVIDE(SUM(ABS(error)), COUNTIF(error IS NOT NULL)) AS mae,
  COUNTIF(IFNULL(bet_result = 'WIN', FALSE)) AS wins,
  COUNTIF(IFNULL(bet_result = 'LOSS', FALSE)) AS losses,
  COUNTIF(IFNULL(bet_result = 'PUSH', FALSE)) AS pushes,
  SAFE_DIVIDE(
    COUNTIF(IFNULL(bet_result = 'WIN', FALSE)),
    COUNTIF(IFNULL(bet_result IN ('WIN', 'LOSS'), FALSE))
  ) AS hit_rate
FROM graded_predictions
WHERE confidence IS NOT NULL
GROUP BY game_date, system_id, in_sample, confidence_bucket
