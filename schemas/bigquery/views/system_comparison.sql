-- One row per pitcher-game and expected system (the ensemble included), for any set of
-- systems: the system's prediction, p_over, confidence, call and state beside its pitcher-game's
-- counts and agreement (repeated on each of the pitcher-game's rows; read one pitcher-game's
-- columns with SELECT DISTINCT). A system that did not answer has a row with NULL values and
-- state 'missing': never 0 and never a disagreement. Expected systems of a pitcher-game: every
-- system with a row, the members the ensemble named (contributing + missing) and the ensemble
-- itself on dates that have ensemble rows. Spread and agreement use the component systems that
-- produced a count (status ok), as the ensemble's agreement factor does:
-- STRONG spread < 1.0 K, MODERATE < 2.0, WEAK from 2.0 on (the seed's and the ensemble's
-- boundaries, PipelineConfig.agree_within / disagree_beyond); SINGLE with one, NONE with none.
-- No system is named here: a system added to the registry appears with its rows.
-- COUNTIF(IFNULL(c, FALSE)): BigQuery counts 0 in an all-NULL group, DuckDB's count_if gives NULL.
CREATE OR REPLACE VIEW system_comparison AS
WITH members AS (
  SELECT game_id, pitcher_id, system_id FROM graded_predictions
  UNION DISTINCT
  -- the ensemble is a member on dates it wrote rows (rollout phases 1-2 write none; a date
  -- it missed entirely is the monitor's system_silent and coverage_complete failure)
  SELECT game_id, pitcher_id, 'ensemble_v1' FROM graded_predictions
  WHERE game_date IN (
    SELECT game_date FROM graded_predictions WHERE STARTS_WITH(system_id, 'ensemble')
  )
  UNION DISTINCT
  SELECT g.game_id, g.pitcher_id, m
  FROM graded_predictions AS g
  CROSS JOIN UNNEST(ARRAY_CONCAT(g.contributing_systems, g.missing_systems)) AS m
  WHERE STARTS_WITH(g.system_id, 'ensemble')
),
expected AS (
  SELECT
    m.game_id,
    m.pitcher_id,
    m.system_id,
    g.system_id IS NOT NULL AS present,
    g.status,
    g.predicted_strikeouts,
    g.p_over,
    g.confidence,
    g.recommendation,
    STARTS_WITH(m.system_id, 'ensemble') AS is_ensemble
  FROM members AS m
  LEFT JOIN graded_predictions AS g
    ON g.game_id = m.game_id AND g.pitcher_id = m.pitcher_id AND g.system_id = m.system_id
),
context AS (
  SELECT
    game_id,
    pitcher_id,
    MAX(game_date) AS game_date,
    MAX(pitcher_name) AS pitcher_name,
    MAX(team) AS team,
    MAX(opponent) AS opponent,
    MAX(line) AS line,
    MAX(actual_strikeouts) AS actual_strikeouts
  FROM graded_predictions
  GROUP BY game_id, pitcher_id
),
per_game AS (
  SELECT
    game_id,
    pitcher_id,
    COUNT(*) AS systems_expected,
    COUNTIF(present) AS systems_present,
    STRING_AGG(IF(present, NULL, system_id), "," ORDER BY system_id) AS systems_missing,
    COUNTIF(
      IFNULL(NOT is_ensemble AND status = 'ok' AND predicted_strikeouts IS NOT NULL, FALSE)
    )
      AS components_predicting,
    MAX(IF(NOT is_ensemble AND status = 'ok', predicted_strikeouts, NULL))
      - MIN(IF(NOT is_ensemble AND status = 'ok', predicted_strikeouts, NULL)) AS raw_spread,
    COUNT(DISTINCT IF(NOT is_ensemble AND status = 'ok', recommendation, NULL)) AS component_calls,
    COALESCE(MAX(IF(is_ensemble, status, NULL)), 'missing') AS ensemble_state
  FROM expected
  GROUP BY game_id, pitcher_id
)
SELECT
  c.game_date,
  c.game_id,
  c.pitcher_id,
  c.pitcher_name,
  c.team,
  c.opponent,
  c.line,
  c.actual_strikeouts,
  e.system_id,
  e.is_ensemble,
  COALESCE(e.status, 'missing') AS state,
  e.predicted_strikeouts,
  e.p_over,
  e.confidence,
  e.recommendation,
  p.systems_expected,
  p.systems_present,
  p.systems_missing,
  p.components_predicting,
  IF(p.components_predicting >= 2, p.raw_spread, NULL) AS spread,
  CASE
    WHEN p.components_predicting = 0 THEN 'NONE'
    WHEN p.components_predicting = 1 THEN 'SINGLE'
    WHEN p.raw_spread < 1.0 THEN 'STRONG'
    WHEN p.raw_spread < 2.0 THEN 'MODERATE'
    ELSE 'WEAK'
  END AS agreement,
  IF(p.components_predicting >= 2, p.component_calls = 1, NULL) AS same_call,
  p.ensemble_state
FROM expected AS e
JOIN per_game AS p ON p.game_id = e.game_id AND p.pitcher_id = e.pitcher_id
JOIN context AS c ON c.game_id = e.game_id AND c.pitcher_id = e.pitcher_id
