# One service account per function, least privilege; one for Pub/Sub push (invoker only);
# one that builds the function sources (build_config.service_account).
resource "google_service_account" "function" {
  for_each     = local.functions
  account_id   = "so-${replace(each.key, "_", "-")}"
  display_name = "strikeouts function ${each.key}"
  depends_on   = [terraform_data.apis_settle]
}

resource "google_service_account" "pusher" {
  account_id   = "so-pubsub-push"
  display_name = "strikeouts Pub/Sub push identity"
  depends_on   = [terraform_data.apis_settle]
}

locals {
  publish_grants = merge([
    for fn, spec in local.functions : {
      for topic in concat(spec.publishes, ["dead_letter"]) : "${fn}/${topic}" => { function = fn, topic = topic }
    }
  ]...)

  # (function, table) for every table a function writes (locals.tf, functions' `writes`)
  table_writes = merge([
    for fn, spec in local.functions : {
      for table in spec.writes : "${fn}/${table}" => { function = fn, table = table }
    }
  ]...)

  # the staging tables are their own resources (bigquery.tf), not schema files
  writable_tables = merge(
    { for name, t in google_bigquery_table.table : name => t.table_id },
    { for name, t in google_bigquery_table.staging : t.table_id => t.table_id },
  )
}

# Each function publishes only to its output topic and the dead-letter topic.
resource "google_pubsub_topic_iam_member" "publish" {
  for_each = local.publish_grants
  topic    = google_pubsub_topic.topic[each.value.topic].id
  role     = "roles/pubsub.publisher"
  member   = "serviceAccount:${google_service_account.function[each.value.function].email}"
}

# Query and load jobs run in the project: jobUser grants running jobs, no data access.
resource "google_project_iam_member" "bigquery_jobs" {
  for_each = local.functions
  project  = var.project_id
  role     = "roles/bigquery.jobUser"
  member   = "serviceAccount:${google_service_account.function[each.key].email}"
}

# Reading: dataViewer on the dataset for the functions that query it (features, state of
# the day, monitoring views); the system functions read nothing of the warehouse.
resource "google_bigquery_dataset_iam_member" "reader" {
  for_each   = { for fn, spec in local.functions : fn => spec if spec.reads }
  dataset_id = google_bigquery_dataset.warehouse.dataset_id
  role       = "roles/bigquery.dataViewer"
  member     = "serviceAccount:${google_service_account.function[each.key].email}"
}

# Writing: dataEditor on exactly the tables each function writes; no function account can
# edit the dataset as a whole.
resource "google_bigquery_table_iam_member" "writer" {
  for_each   = local.table_writes
  dataset_id = google_bigquery_dataset.warehouse.dataset_id
  table_id   = local.writable_tables[each.value.table]
  role       = "roles/bigquery.dataEditor"
  member     = "serviceAccount:${google_service_account.function[each.value.function].email}"
}

# Merging: every function that writes rows loads them into a scratch table first (and the
# scratch dataset holds nothing else), so dataEditor there is the least that lets it MERGE.
resource "google_bigquery_dataset_iam_member" "scratch" {
  for_each   = { for fn, spec in local.functions : fn => spec if length(spec.writes) > 0 }
  dataset_id = google_bigquery_dataset.scratch.dataset_id
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

# The deploy account acts as exactly the accounts this module creates (to deploy the functions
# as them, build as the builder, and give the scheduler and push subscriptions the pusher's
# OIDC identity), instead of holding serviceAccountUser on every account of the project. Its
# email is fixed by infra/bootstrap (account_id so-deploy).
locals {
  deploy_member = "serviceAccount:so-deploy@${var.project_id}.iam.gserviceaccount.com"
  acted_as = merge(
    { for fn, account in google_service_account.function : fn => account.name },
    {
      "_pusher"  = google_service_account.pusher.name
      "_builder" = google_service_account.builder.name
      "_predict" = google_service_account.predict.name
    },
  )
}

resource "google_service_account_iam_member" "deploy_acts_as" {
  for_each           = local.acted_as
  service_account_id = each.value
  role               = "roles/iam.serviceAccountUser"
  member             = local.deploy_member
  depends_on         = [terraform_data.apis_settle]
}
