-- The ensemble's OVER/UNDER calls per date, ranked by |edge| (pick_rank 1 = largest edge);
-- filter on game_date and order by pick_rank. Graded columns fill in once results are in;
-- in_sample marks a pick whose models were fitted on starts after its date (not a forecast).
CREATE OR REPLACE VIEW todays_picks AS
SELECT
  game_date,
  ROW_NUMBER() OVER (
    PARTITION BY game_date ORDER BY ABS(edge) DESC, game_id, pitcher_id
  ) AS pick_rank,
  game_id,
  pitcher_id,
  pitcher_name,
  team,
  opponent,
  is_home,
  recommendation,
  line,
  over_odds,
  under_odds,
  line_book,
  predicted_strikeouts,
  edge,
  ABS(edge) AS abs_edge,
  p_over,
  confidence,
  red_flags,
  contributing_systems,
  missing_systems,
  status,
  fallback_reason,
  actual_strikeouts,
  bet_result,
  bet_profit,
  in_sample
FROM graded_predictions
WHERE STARTS_WITH(system_id, 'ensemble') AND recommendation IN ('OVER', 'UNDER')
