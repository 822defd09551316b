# The game day (issue 10): Cloud Scheduler → gameday-* topics → the schedule and results
# functions. The Odds API key lives in Secret Manager (its value is added out of band:
#   gcloud secrets versions add strikeouts-odds-api-key --data-file=-
# ) and only the schedule function's account may read it.
resource "google_secret_manager_secret" "odds_api_key" {
  secret_id = "strikeouts-odds-api-key"
  replication {
    auto {}
  }
  depends_on = [terraform_data.apis_settle]
}

# A placeholder first version, so the schedule function (which reads version `latest` at
# start-up) can be deployed before anyone has set the key: Cloud Run refuses a service whose
# secret version does not exist. The real key is added out of band as a newer version (see
# above), which `latest` then names; Terraform never reads or reverts it (ignore_changes).
resource "google_secret_manager_secret_version" "odds_api_key_placeholder" {
  secret      = google_secret_manager_secret.odds_api_key.id
  secret_data = "unset: gcloud secrets versions add strikeouts-odds-api-key --data-file=-"
  lifecycle {
    ignore_changes = [secret_data, enabled]
  }
}

resource "google_secret_manager_secret_iam_member" "schedule_reads_odds_key" {
  secret_id = google_secret_manager_secret.odds_api_key.id
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.function["schedule"].email}"
}

# One job per configured time: each publishes a trigger; the function derives today's date.
resource "google_cloud_scheduler_job" "schedule" {
  for_each  = { for i, cron in var.schedule_crons : tostring(i) => cron }
  name      = "strikeouts-schedule-${each.key}"
  region    = var.region
  schedule  = each.value
  time_zone = var.league_time_zone

  pubsub_target {
    topic_name = google_pubsub_topic.topic["gameday_schedule"].id
    data       = base64encode(jsonencode({ schema_version = 1, message_type = "gameday-trigger" }))
  }
}

# At night (after the last final): yesterday's results, then the grades.
resource "google_cloud_scheduler_job" "results" {
  name      = "strikeouts-results"
  region    = var.region
  schedule  = var.results_cron
  time_zone = var.league_time_zone

  pubsub_target {
    topic_name = google_pubsub_topic.topic["gameday_results"].id
    data       = base64encode(jsonencode({ schema_version = 1, message_type = "gameday-trigger" }))
  }
}
