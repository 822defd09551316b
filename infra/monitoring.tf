# Monitoring (issue "Monitoring"): the views from schemas/bigquery/views, the dead letters in
# BigQuery, the scheduled `monitor` function, log-based metrics and alert policies.

locals {
  # creation order: BigQuery checks a view's query against what exists when it is created
  monitoring_views = {
    base     = ["graded_predictions"]
    derived  = ["todays_picks", "system_comparison", "system_performance", "confidence_calibration", "challenger_comparison"]
    combined = ["daily_coverage", "system_agreement", "system_performance_30d"]
  }
  dataset_names = concat(
    local.table_names,
    ["pitcher_strikeout_predictions_latest"],
    flatten(values(local.monitoring_views)),
  )
}

module "view_query" {
  for_each    = toset(flatten(values(local.monitoring_views)))
  source      = "./modules/view_query"
  sql         = file("${local.schemas}/views/${each.key}.sql")
  names       = local.dataset_names
  dataset_ref = "${var.project_id}.${var.dataset}"
}

resource "google_bigquery_table" "view_base" {
  #checkov:skip=CKV_GCP_80:a view stores no data, there is nothing to encrypt
  #checkov:skip=CKV_GCP_121:a view holds no data; it is recreated from its SQL file
  for_each            = toset(local.monitoring_views.base)
  dataset_id          = google_bigquery_dataset.warehouse.dataset_id
  table_id            = each.key
  deletion_protection = false
  view {
    use_legacy_sql = false
    query          = module.view_query[each.key].query
  }
  depends_on = [google_bigquery_table.table, google_bigquery_table.predictions_latest]
}

resource "google_bigquery_table" "view_derived" {
  #checkov:skip=CKV_GCP_80:a view stores no data, there is nothing to encrypt
  #checkov:skip=CKV_GCP_121:a view holds no data; it is recreated from its SQL file
  for_each            = toset(local.monitoring_views.derived)
  dataset_id          = google_bigquery_dataset.warehouse.dataset_id
  table_id            = each.key
  deletion_protection = false
  view {
    use_legacy_sql = false
    query          = module.view_query[each.key].query
  }
  depends_on = [google_bigquery_table.view_base]
}

resource "google_bigquery_table" "view_combined" {
  #checkov:skip=CKV_GCP_80:a view stores no data, there is nothing to encrypt
  #checkov:skip=CKV_GCP_121:a view holds no data; it is recreated from its SQL file
  for_each            = toset(local.monitoring_views.combined)
  dataset_id          = google_bigquery_dataset.warehouse.dataset_id
  table_id            = each.key
  deletion_protection = false
  view {
    use_legacy_sql = false
    query          = module.view_query[each.key].query
  }
  depends_on = [google_bigquery_table.view_derived]
}

# Dead letters land in the dead_letters table (its columns are the subscription's metadata).
resource "google_pubsub_subscription" "dead_letter_to_bigquery" {
  name  = "dead-letter-to-bigquery"
  topic = google_pubsub_topic.topic["dead_letter"].id
  bigquery_config {
    table            = "${var.project_id}.${google_bigquery_dataset.warehouse.dataset_id}.${google_bigquery_table.table["dead_letters"].table_id}"
    use_table_schema = false
    write_metadata   = true
  }
  expiration_policy {
    ttl = "" # never expires: it is the durable copy of every dead letter
  }
  # BigQuery subscriptions check the agent's grant on the table at creation
  depends_on = [terraform_data.grants_settle]
}

# The BigQuery subscription writes as the Pub/Sub service agent: dataEditor on that table
# only (metadataViewer on it is included), not on the dataset.
resource "google_bigquery_table_iam_member" "pubsub_writes_dead_letters" {
  dataset_id = google_bigquery_dataset.warehouse.dataset_id
  table_id   = google_bigquery_table.table["dead_letters"].table_id
  role       = "roles/bigquery.dataEditor"
  member     = local.pubsub_agent
}

# The nightly report (STRIKEOUTS_REPORT_BUCKET of the monitor function).
resource "google_storage_bucket" "reports" {
  #checkov:skip=CKV_GCP_62:one generated report a night, written by the monitor account; nothing sensitive to audit per read
  #checkov:skip=CKV_GCP_78:reports are regenerated each night from the warehouse; an overwritten report is rebuilt, not restored
  name                        = "${var.project_id}-strikeouts-reports"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  dynamic "encryption" {
    for_each = var.kms_key_name == null ? [] : [var.kms_key_name]
    content {
      default_kms_key_name = encryption.value
    }
  }
  depends_on = [terraform_data.apis_settle, google_kms_crypto_key_iam_member.cmek]
}

resource "google_storage_bucket_iam_member" "monitor_writes_reports" {
  bucket = google_storage_bucket.reports.name
  role   = "roles/storage.objectCreator"
  member = "serviceAccount:${google_service_account.function["monitor"].email}"
}

# The monitor function runs every night after the results and again before first pitch.
resource "google_cloud_scheduler_job" "monitor" {
  for_each  = toset(var.monitor_schedules)
  name      = "strikeouts-monitor-${index(var.monitor_schedules, each.key)}"
  region    = var.region
  schedule  = each.key
  time_zone = "America/New_York"
  http_target {
    http_method = "POST"
    uri         = google_cloudfunctions2_function.function["monitor"].service_config[0].uri
    oidc_token {
      service_account_email = google_service_account.pusher.email
    }
  }
  # the deploy account may set the pusher as the job's identity only once it can act as it
  depends_on = [terraform_data.grants_settle]
}

# One log entry per check (strikeouts.monitoring.service.log_results) -> counted by name.
resource "google_logging_metric" "failed_critical_checks" {
  name   = "strikeouts/failed_critical_checks"
  filter = "jsonPayload.message=\"monitoring check\" AND jsonPayload.status=\"fail\" AND jsonPayload.check_severity=\"critical\""
  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
    labels {
      key        = "check"
      value_type = "STRING"
    }
  }
  label_extractors = { check = "EXTRACT(jsonPayload.check)" }
  depends_on       = [terraform_data.apis_settle]
}

resource "google_logging_metric" "dead_letters" {
  name   = "strikeouts/dead_letters"
  filter = "jsonPayload.message=\"message dead-lettered\""
  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
  }
  depends_on = [terraform_data.apis_settle]
}

# A system's circuit breaker opened (strikeouts.pipeline.breaker logs every transition): its
# function keeps answering 2xx with error rows, so no request metric sees it.
resource "google_logging_metric" "breaker_opened" {
  name   = "strikeouts/breaker_opened"
  filter = "jsonPayload.message=\"circuit breaker transition\" AND jsonPayload.to_state=\"open\""
  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
    labels {
      key        = "breaker"
      value_type = "STRING"
    }
  }
  label_extractors = { breaker = "EXTRACT(jsonPayload.breaker)" }
  depends_on       = [terraform_data.apis_settle]
}

resource "google_monitoring_alert_policy" "breaker_opened" {
  display_name          = "strikeouts: a system's circuit breaker opened"
  combiner              = "OR"
  notification_channels = var.notification_channels
  conditions {
    display_name = "breaker opened"
    condition_threshold {
      filter          = "metric.type=\"logging.googleapis.com/user/${google_logging_metric.breaker_opened.name}\" AND resource.type=\"cloud_run_revision\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"
      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["metric.label.breaker"]
      }
    }
  }
  documentation {
    content   = "A system's predictor failed repeatedly and its breaker opened (the label names the system): its rows are errors until it closes. Read the function's `predictor failed` logs; the `error_share` check names the first error. Runbook: README, Monitoring."
    mime_type = "text/markdown"
  }
  depends_on = [terraform_data.log_metrics_settle]
}

resource "google_logging_metric" "tick_heartbeat" {
  name   = "strikeouts/tick_runs"
  filter = "resource.type=\"cloud_run_revision\" AND resource.labels.service_name=\"ensemble-tick\" AND httpRequest.status>=200 AND httpRequest.status<300"
  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
  }
  depends_on = [terraform_data.apis_settle]
}

# Cloud Monitoring answers 404 for a log-based metric for minutes after Logging created it
# (a known provider issue), so an alert policy on it would fail the first apply: the policies
# wait, once per set of metrics (it reruns only when a metric is created or replaced).
resource "terraform_data" "log_metrics_settle" {
  triggers_replace = sort([
    google_logging_metric.failed_critical_checks.id,
    google_logging_metric.dead_letters.id,
    google_logging_metric.tick_heartbeat.id,
    google_logging_metric.scheduler_failures.id,
    google_logging_metric.breaker_opened.id,
  ])
  provisioner "local-exec" {
    command = "sleep ${var.log_metric_wait_seconds}"
  }
}

resource "google_monitoring_alert_policy" "failed_critical_check" {
  display_name          = "strikeouts: a critical monitoring check failed"
  combiner              = "OR"
  notification_channels = var.notification_channels
  conditions {
    display_name = "failed critical check"
    condition_threshold {
      filter          = "metric.type=\"logging.googleapis.com/user/${google_logging_metric.failed_critical_checks.name}\" AND resource.type=\"cloud_run_revision\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"
      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["metric.label.check"]
      }
    }
  }
  documentation {
    content   = "A critical check of `strikeouts monitor` failed; the label names it. Runbook: README, Monitoring."
    mime_type = "text/markdown"
  }
  depends_on = [terraform_data.log_metrics_settle]
}

resource "google_monitoring_alert_policy" "dead_letters" {
  display_name          = "strikeouts: messages dead-lettered"
  combiner              = "OR"
  notification_channels = var.notification_channels
  conditions {
    display_name = "dead letters"
    condition_threshold {
      filter          = "metric.type=\"logging.googleapis.com/user/${google_logging_metric.dead_letters.name}\" AND resource.type=\"cloud_run_revision\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"
      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
      }
    }
  }
  depends_on = [terraform_data.log_metrics_settle]
}

# The tick writes no heartbeat (a billed DML job a minute) and runs only in game hours, so
# its silence is no signal: a tick published and not handled is. Alert when the tick
# subscription holds a message older than 3 minutes (the function failing or unreachable),
# or when a Cloud Scheduler job (the tick's, the game day's, the monitor's) fails to publish.
resource "google_logging_metric" "scheduler_failures" {
  name   = "strikeouts/scheduler_failures"
  filter = "resource.type=\"cloud_scheduler_job\" AND severity>=ERROR"
  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
  }
  depends_on = [terraform_data.apis_settle]
}

resource "google_monitoring_alert_policy" "tick_backlog" {
  display_name          = "strikeouts: ensemble tick backlog"
  combiner              = "OR"
  notification_channels = var.notification_channels
  conditions {
    display_name = "a tick waits over 3 minutes"
    condition_threshold {
      filter          = "metric.type=\"pubsub.googleapis.com/subscription/oldest_unacked_message_age\" AND resource.type=\"pubsub_subscription\" AND resource.label.subscription_id=\"${google_pubsub_subscription.push["ensemble-ticks--ensemble_tick"].name}\""
      comparison      = "COMPARISON_GT"
      threshold_value = 180
      duration        = "0s"
      aggregations {
        alignment_period   = "60s"
        per_series_aligner = "ALIGN_MAX"
      }
    }
  }
  conditions {
    display_name = "a scheduler job failed"
    condition_threshold {
      filter          = "metric.type=\"logging.googleapis.com/user/${google_logging_metric.scheduler_failures.name}\" AND resource.type=\"cloud_scheduler_job\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"
      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
      }
    }
  }
  depends_on = [terraform_data.log_metrics_settle]
}

resource "google_monitoring_alert_policy" "function_errors" {
  display_name          = "strikeouts: function error rate"
  combiner              = "OR"
  notification_channels = var.notification_channels
  conditions {
    display_name = "share of 5xx answers above ${var.function_error_rate_max} over 5 minutes"
    condition_threshold {
      filter             = "${local.run_requests} AND metric.label.response_code_class=\"5xx\""
      denominator_filter = local.run_requests
      comparison         = "COMPARISON_GT"
      threshold_value    = var.function_error_rate_max
      duration           = "300s"
      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_RATE"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["resource.label.service_name"]
      }
      denominator_aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_RATE"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["resource.label.service_name"]
      }
    }
  }
  depends_on = [terraform_data.apis_settle]
}

locals {
  run_services = join(", ", [for f in keys(local.functions) : "\"${replace(f, "_", "-")}\""])
  run_requests = "metric.type=\"run.googleapis.com/request_count\" AND resource.type=\"cloud_run_revision\" AND resource.label.service_name=one_of(${local.run_services})"
}
