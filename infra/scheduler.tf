# The tick: finalize overdue pitcher-games (fallback) and MERGE staged prediction rows. It runs
# every minute only while games can run (var.tick_schedule, league time zone): an idle tick
# costs no BigQuery job (it reads what is staged for free first), but a request a minute all
# year is still ~525k invocations. Outside those hours nothing is staged or due; a canary
# publishes its own ticks (`deploy canary`), and the local stack ticks on its own.
resource "google_cloud_scheduler_job" "ensemble_tick" {
  name      = "strikeouts-ensemble-tick"
  region    = var.region
  schedule  = var.tick_schedule
  time_zone = var.league_time_zone

  pubsub_target {
    topic_name = google_pubsub_topic.topic["ensemble_ticks"].id
    data       = base64encode(jsonencode({ schema_version = 1, message_type = "ensemble-tick" }))
  }
}
