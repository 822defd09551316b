locals {
  schemas = "${path.module}/../schemas/bigquery"
  tables  = jsondecode(file("${local.schemas}/tables.json"))

  topics = {
    game_schedule      = "game-schedule"
    pitcher_games      = "pitcher-games"
    system_predictions = "system-predictions"
    ensemble_ticks     = "ensemble-ticks"
    dead_letter        = "dead-letter"
    gameday_schedule   = "gameday-schedule"
    gameday_results    = "gameday-results"
  }

  # one push subscription per (function, topic), as ROUTES in strikeouts/cloud/stack.py
  routes = {
    "game-schedule--fanout"               = { function = "fanout", topic = "game_schedule" }
    "pitcher-games--predict_v1_baseline"  = { function = "predict_v1_baseline", topic = "pitcher_games" }
    "pitcher-games--predict_v1_6_rolling" = { function = "predict_v1_6_rolling", topic = "pitcher_games" }
    "pitcher-games--ensemble"             = { function = "ensemble", topic = "pitcher_games" }
    "system-predictions--ensemble"        = { function = "ensemble", topic = "system_predictions" }
    "ensemble-ticks--ensemble_tick"       = { function = "ensemble_tick", topic = "ensemble_ticks" }
    "gameday-schedule--schedule"          = { function = "schedule", topic = "gameday_schedule" }
    "gameday-results--results"            = { function = "results", topic = "gameday_results" }
  }

  functions = {
    fanout               = { memory = "1Gi", publishes = ["pitcher_games"], models = false, state = true }
    predict_v1_baseline  = { memory = "1Gi", publishes = ["system_predictions"], models = true, state = true }
    predict_v1_6_rolling = { memory = "1Gi", publishes = ["system_predictions"], models = true, state = true }
    ensemble             = { memory = "1Gi", publishes = [], models = false, state = true }
    ensemble_tick        = { memory = "1Gi", publishes = [], models = false, state = true }
    monitor              = { memory = "1Gi", publishes = [], models = false, state = false }
    # game day (gameday.tf): schedule reads the champions' versions and the odds key
    schedule = { memory = "1Gi", publishes = ["game_schedule"], models = true, state = false }
    results  = { memory = "1Gi", publishes = [], models = false, state = false }
  }

  gameday_functions = toset(["schedule", "results"])

  # every table with a schema file, except the aggregation state (GCS objects in the cloud)
  table_names = [
    for f in fileset(local.schemas, "*.json") : trimsuffix(f, ".json")
    if f != "tables.json" && f != "aggregation_state.json"
  ]

  warehouse = "bigquery://${var.project_id}/${var.dataset}"

  function_env = {
    STRIKEOUTS_GCP_PROJECT              = var.project_id
    STRIKEOUTS_WAREHOUSE                = local.warehouse
    STRIKEOUTS_FEATURE_WAREHOUSE        = local.warehouse
    STRIKEOUTS_MODEL_STORE              = "gs://${google_storage_bucket.models.name}/models"
    STRIKEOUTS_AGGREGATION_STATE        = "gs://${google_storage_bucket.state.name}/state"
    STRIKEOUTS_TOPIC_GAME_SCHEDULE      = local.topics.game_schedule
    STRIKEOUTS_TOPIC_PITCHER_GAMES      = local.topics.pitcher_games
    STRIKEOUTS_TOPIC_SYSTEM_PREDICTIONS = local.topics.system_predictions
    STRIKEOUTS_TOPIC_ENSEMBLE_TICKS     = local.topics.ensemble_ticks
    STRIKEOUTS_TOPIC_DEAD_LETTER        = local.topics.dead_letter
    STRIKEOUTS_LOG_FORMAT               = "json"
    STRIKEOUTS_REPORT_BUCKET            = google_storage_bucket.reports.name
  }

  # the game-day functions also read the team codes packaged with them and the live sources
  gameday_env = {
    STRIKEOUTS_DATA_DIR               = "data"
    STRIKEOUTS_STATSAPI_URL           = var.statsapi_url
    STRIKEOUTS_ODDS_API_URL           = var.odds_api_url
    STRIKEOUTS_LEAGUE_TIME_ZONE       = var.league_time_zone
    STRIKEOUTS_TOPIC_GAMEDAY_SCHEDULE = "gameday-schedule"
    STRIKEOUTS_TOPIC_GAMEDAY_RESULTS  = "gameday-results"
  }
}
