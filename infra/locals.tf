# What exists follows var.systems: a system function (predict_<system_id>), its push
# subscription, account and grants exist only while the system is in systems.deployed.
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

    # one message per run and game date once all its pitcher-games are written (the tick)
    predictions_complete = "predictions-complete"
  }

  # Functions run at most this long; the push ack deadline (pubsub.tf) must exceed it, or
  # Pub/Sub redelivers a message whose first delivery is still running.
  function_timeout_seconds = 120

  # Tables each function writes (table-level dataEditor, iam.tf), read from the code:
  # every Pub/Sub function rejects into rejected_messages (runtime/sinks.py); the ensemble
  # stages rows (cloud/staging.py); the tick merges them into the final table, clears the
  # staging table (no heartbeat: its runs are counted from its logs); schedule records fetches, rejected rows
  # and line snapshots (gameday/record.py, lines.py); results also writes games, starts and
  # grades (gameday/results.py, grading.py). reads: dataset-level dataViewer.
  system_functions = {
    for s in var.systems.deployed : "predict_${s}" => {
      memory = "1Gi", publishes = ["system_predictions"], models = true, state = true
      reads  = false, writes = ["rejected_messages"]
    }
  }

  core_functions = {
    fanout = {
      memory = "1Gi", publishes = ["pitcher_games"], models = false, state = true
      reads  = true, writes = ["rejected_messages"]
    }
    ensemble = {
      memory = "1Gi", publishes = [], models = false, state = true
      reads  = true, writes = ["rejected_messages", "pitcher_strikeout_predictions_staging", "shadow_predictions_staging"]
    }
    ensemble_tick = {
      memory = "1Gi", publishes = ["predictions_complete"], models = false, state = true, reads = true
      writes = ["rejected_messages", "pitcher_strikeout_predictions", "pitcher_strikeout_predictions_staging", "shadow_predictions", "shadow_predictions_staging"]
    }
    monitor = {
      memory = "1Gi", publishes = [], models = false, state = false, reads = true, writes = []
    }
    # game day (gameday.tf): schedule reads the champions' versions and the odds key, and keeps
    # the injured-list cache in the state bucket (gameday/injuries.py)
    schedule = {
      memory = "1Gi", publishes = ["game_schedule"], models = true, state = true, reads = true
      writes = ["rejected_messages", "source_fetches", "rejected_rows", "prop_line_snapshots"]
    }
    results = {
      memory = "1Gi", publishes = [], models = false, state = false, reads = true
      writes = ["rejected_messages", "source_fetches", "rejected_rows", "games", "pitcher_starts", "prediction_grades"]
    }
  }

  functions = merge(local.core_functions, local.system_functions)

  # one push subscription per (function, topic), as ROUTES in strikeouts/devstack/stack.py
  core_routes = {
    "game-schedule--fanout"         = { function = "fanout", topic = "game_schedule" }
    "pitcher-games--ensemble"       = { function = "ensemble", topic = "pitcher_games" }
    "system-predictions--ensemble"  = { function = "ensemble", topic = "system_predictions" }
    "ensemble-ticks--ensemble_tick" = { function = "ensemble_tick", topic = "ensemble_ticks" }
    "gameday-schedule--schedule"    = { function = "schedule", topic = "gameday_schedule" }
    "gameday-results--results"      = { function = "results", topic = "gameday_results" }
  }
  routes = merge(local.core_routes, {
    for fn in keys(local.system_functions) : "pitcher-games--${fn}" => { function = fn, topic = "pitcher_games" }
  })

  gameday_functions = toset(["schedule", "results"])

  # tables the ensemble stages rows for and the tick merges (cloud/staging.py)
  staged_tables = ["pitcher_strikeout_predictions", "shadow_predictions"]

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

    # the ensemble tick announces complete runs there (pipeline/completion.py)
    STRIKEOUTS_TOPIC_PREDICTIONS_COMPLETE = local.topics.predictions_complete

    # Terraform owns tables and views; the functions run no DDL (their accounts cannot)
    STRIKEOUTS_BIGQUERY_MANAGE_SCHEMA   = "false"
    STRIKEOUTS_BIGQUERY_SCRATCH_DATASET = google_bigquery_dataset.scratch.dataset_id
    STRIKEOUTS_REPORT_BUCKET            = google_storage_bucket.reports.name
    # the phase (var.systems): pydantic-settings parses the JSON list into PipelineConfig
    STRIKEOUTS_PIPELINE_EXPECTED_SYSTEMS = jsonencode(var.systems.expected)
    STRIKEOUTS_PIPELINE_WRITE_ENSEMBLE   = var.systems.ensemble ? "true" : "false"
  }

  # the game-day functions also read the team codes packaged with them and the live sources
  gameday_env = {
    STRIKEOUTS_DATA_DIR               = "data"
    STRIKEOUTS_STATSAPI_URL           = var.statsapi_url
    STRIKEOUTS_ODDS_API_URL           = var.odds_api_url
    STRIKEOUTS_LEAGUE_TIME_ZONE       = var.league_time_zone
    STRIKEOUTS_TOPIC_GAMEDAY_SCHEDULE = local.topics.gameday_schedule
    STRIKEOUTS_TOPIC_GAMEDAY_RESULTS  = local.topics.gameday_results
    STRIKEOUTS_INJURED_LIST_CACHE     = "gs://${google_storage_bucket.state.name}/injured-list"
  }
}
