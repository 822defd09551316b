# Every minute: finalize overdue pitcher-games (fallback) and MERGE staged prediction rows.
resource "google_cloud_scheduler_job" "ensemble_tick" {
  name      = "strikeouts-ensemble-tick"
  region    = var.region
  schedule  = "* * * * *"
  time_zone = "Etc/UTC"

  pubsub_target {
    topic_name = google_pubsub_topic.topic["ensemble_ticks"].id
    data       = base64encode(jsonencode({ schema_version = 1, message_type = "ensemble-tick" }))
  }
}
