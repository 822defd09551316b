# One service account per function, least privilege; one for Pub/Sub push (invoker only).
resource "google_service_account" "function" {
  for_each     = local.functions
  account_id   = "so-${replace(each.key, "_", "-")}"
  display_name = "strikeouts function ${each.key}"
}

resource "google_service_account" "pusher" {
  account_id   = "so-pubsub-push"
  display_name = "strikeouts Pub/Sub push identity"
}

locals {
  publish_grants = merge([
    for fn, spec in local.functions : {
      for topic in concat(spec.publishes, ["dead_letter"]) : "${fn}/${topic}" => { function = fn, topic = topic }
    }
  ]...)
}

# Each function publishes only to its output topic and the dead-letter topic.
resource "google_pubsub_topic_iam_member" "publish" {
  for_each = local.publish_grants
  topic    = google_pubsub_topic.topic[each.value.topic].id
  role     = "roles/pubsub.publisher"
  member   = "serviceAccount:${google_service_account.function[each.value.function].email}"
}

# Query jobs run in the project; table access is granted on the dataset only.
resource "google_project_iam_member" "bigquery_jobs" {
  for_each = local.functions
  project  = var.project_id
  role     = "roles/bigquery.jobUser"
  member   = "serviceAccount:${google_service_account.function[each.key].email}"
}

# Every function writes rejected_messages; the ensemble ones write and merge predictions;
# fanout reads the feature tables. dataEditor on the dataset covers all of it.
resource "google_bigquery_dataset_iam_member" "editor" {
  for_each   = { for fn, spec in local.functions : fn => spec if fn != "monitor" }
  dataset_id = google_bigquery_dataset.warehouse.dataset_id
  role       = "roles/bigquery.dataEditor"
  member     = "serviceAccount:${google_service_account.function[each.key].email}"
}

# The systems read models; nothing in the cloud path writes them (training does, elsewhere).
resource "google_storage_bucket_iam_member" "models_read" {
  for_each = { for fn, spec in local.functions : fn => spec if spec.models }
  bucket   = google_storage_bucket.models.name
  role     = "roles/storage.objectViewer"
  member   = "serviceAccount:${google_service_account.function[each.key].email}"
}

# Aggregation state, delivery-attempt counters and the merge lease.
resource "google_storage_bucket_iam_member" "state_use" {
  for_each = { for fn, spec in local.functions : fn => spec if spec.state }
  bucket   = google_storage_bucket.state.name
  role     = "roles/storage.objectUser"
  member   = "serviceAccount:${google_service_account.function[each.key].email}"
}

# The monitor function only reads the warehouse (the views are Terraform's).
resource "google_bigquery_dataset_iam_member" "monitor_reads" {
  dataset_id = google_bigquery_dataset.warehouse.dataset_id
  role       = "roles/bigquery.dataViewer"
  member     = "serviceAccount:${google_service_account.function["monitor"].email}"
}
