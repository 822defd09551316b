-- Per game date, system and in_sample: counts and additive sums, so any window is a SUM over
-- dates (strikeouts.monitoring.views.rollup), plus the day's own ratios. in_sample rows (the
-- model was fitted on starts up to a day after the game, graded_predictions.in_sample) have
-- rows of their own, flagged: every window leaves them out unless asked (rollup's
-- include_in_sample, system_performance_30d), so a model is never judged on its training. answered: rows that stand
-- behind a prediction or a skip (graded_predictions.answered); errors are rows, not answers.
-- Confidence avg/min/max of the rows that carry one (the seed's view); min and max roll up as
-- MIN/MAX of the days', the average as confidence_sum / confidence_n.
-- Hit rate excludes pushes and voids; ROI = profit / units staked (a push returns the stake,
-- a void is no bet); Brier of p_over excludes pushes. close_* compare the closing line with the
-- same rows (a prediction, an actual and a closing line): close_mae vs mae_on_close_rows.
-- mae is the mean's (predicted_strikeouts), median_mae the distribution median's.
-- COUNTIF(IFNULL(c, FALSE)): BigQuery counts 0 in an all-NULL group, DuckDB's count_if gives NULL.
CREATE OR REPLACE VIEW system_performance AS
WITH sums AS (
  SELECT
    game_date,
    system_id,
    in_sample,
    COUNT(*) AS predictions,
    COUNTIF(answered) AS answered,
    COUNTIF(IFNULL(recommendation IN ('OVER', 'UNDER'), FALSE)) AS actionable,
    COUNTIF(status = 'skip') AS skips,
    COUNTIF(status = 'fallback') AS fallbacks,
    COUNTIF(status = 'error') AS errors,
    COUNTIF(error IS NOT NULL) AS graded,
    COUNTIF(confidence IS NOT NULL) AS confidence_n,
    COALESCE(SUM(confidence), 0) AS confidence_sum,
    MIN(confidence) AS confidence_min,
    MAX(confidence) AS confidence_max,
    COALESCE(SUM(ABS(error)), 0) AS sum_abs_error,
    COALESCE(SUM(error), 0) AS sum_error,
    COUNTIF(median_error IS NOT NULL) AS median_graded,
    COALESCE(SUM(ABS(median_error)), 0) AS sum_abs_median_error,
    COUNTIF(IFNULL(p_over IS NOT NULL AND over_hit IS NOT NULL, FALSE)) AS brier_n,
    COALESCE(SUM(IF(over_hit IS NOT NULL, POW(p_over - over_hit, 2), NULL)), 0) AS brier_sum,
    COUNTIF(IFNULL(bet_result = 'WIN', FALSE)) AS wins,
    COUNTIF(IFNULL(bet_result = 'LOSS', FALSE)) AS losses,
    COUNTIF(IFNULL(bet_result = 'PUSH', FALSE)) AS pushes,
    COUNTIF(IFNULL(bet_result = 'VOID', FALSE)) AS voids,
    COALESCE(SUM(IF(bet_result IN ('WIN', 'LOSS', 'PUSH'), bet_profit, NULL)), 0) AS profit,
    COUNTIF(IFNULL(error IS NOT NULL AND close_line IS NOT NULL, FALSE)) AS close_n,
    COALESCE(SUM(IF(close_line IS NOT NULL, ABS(error), NULL)), 0) AS close_rows_sum_abs_error,
    COALESCE(SUM(IF(error IS NOT NULL, ABS(close_line - actual_strikeouts), NULL)), 0)
      AS close_sum_abs_error
  FROM graded_predictions
  GROUP BY game_date, system_id, in_sample
)
SELECT
  *,
  SAFE_DIVIDE(sum_abs_error, graded) AS mae,
  SAFE_DIVIDE(confidence_sum, confidence_n) AS confidence_avg,
  SAFE_DIVIDE(sum_abs_median_error, median_graded) AS median_mae,
  SAFE_DIVIDE(sum_error, graded) AS bias,
  SAFE_DIVIDE(brier_sum, brier_n) AS brier,
  SAFE_DIVIDE(wins, wins + losses) AS hit_rate,
  SAFE_DIVIDE(profit, wins + losses + pushes) AS roi,
  SAFE_DIVIDE(close_rows_sum_abs_error, close_n) AS mae_on_close_rows,
  SAFE_DIVIDE(close_sum_abs_error, close_n) AS close_mae
FROM sums
