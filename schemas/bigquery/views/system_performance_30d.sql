-- Per system over the 30 days ending on the newest date with predictions (today, on a live
-- deployment): the replaced system's 30-day system_performance. The daily rows of
-- system_performance summed and the ratios recomputed from the sums, confidence min/max the
-- days' extremes: the same numbers as strikeouts.monitoring.views.rollup over those dates
-- (tests/monitoring/test_check_failures.py holds them equal). In-sample rows are left out (the
-- rollup's default): a model is not judged on the starts it was fitted on.
CREATE OR REPLACE VIEW system_performance_30d AS
WITH bounds AS (
  SELECT DATE_SUB(MAX(game_date), INTERVAL 29 DAY) AS first_date, MAX(game_date) AS last_date
  FROM system_performance
)
SELECT
  p.system_id,
  MAX(b.first_date) AS first_date,
  MAX(b.last_date) AS last_date,
  SUM(p.predictions) AS predictions,
  SUM(p.answered) AS answered,
  SUM(p.actionable) AS actionable,
  SUM(p.skips) AS skips,
  SUM(p.fallbacks) AS fallbacks,
  SUM(p.errors) AS errors,
  SUM(p.graded) AS graded,
  SUM(p.wins) AS wins,
  SUM(p.losses) AS losses,
  SUM(p.pushes) AS pushes,
  SUM(p.voids) AS voids,
  SAFE_DIVIDE(SUM(p.sum_abs_error), SUM(p.graded)) AS mae,
  SAFE_DIVIDE(SUM(p.sum_error), SUM(p.graded)) AS bias,
  SAFE_DIVIDE(SUM(p.brier_sum), SUM(p.brier_n)) AS brier,
  SAFE_DIVIDE(SUM(p.wins), SUM(p.wins) + SUM(p.losses)) AS hit_rate,
  SAFE_DIVIDE(SUM(p.profit), SUM(p.wins) + SUM(p.losses) + SUM(p.pushes)) AS roi,
  SAFE_DIVIDE(SUM(p.close_rows_sum_abs_error), SUM(p.close_n)) AS mae_on_close_rows,
  SAFE_DIVIDE(SUM(p.close_sum_abs_error), SUM(p.close_n)) AS close_mae,
  SAFE_DIVIDE(SUM(p.confidence_sum), SUM(p.confidence_n)) AS confidence_avg,
  MIN(p.confidence_min) AS confidence_min,
  MAX(p.confidence_max) AS confidence_max
FROM system_performance AS p
CROSS JOIN bounds AS b
WHERE p.game_date BETWEEN b.first_date AND b.last_date AND NOT p.in_sample
GROUP BY p.system_id
