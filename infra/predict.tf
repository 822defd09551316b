# The `predict` HTTP function: on-demand prices for one pitcher-game at any line
# (strikeouts.cloud.predict_http). Authenticated only: no allUsers / allAuthenticatedUsers
# binding is possible (var.predict_invokers is validated), so every caller needs
# roles/run.invoker granted here and an identity token.
data "archive_file" "predict" {
  type        = "zip"
  source_dir  = "${var.functions_build_dir}/predict"
  output_path = "${path.module}/.build/predict.zip"
  excludes    = ["**/__pycache__/**"]
}

resource "google_storage_bucket_object" "predict_source" {
  name   = "functions/predict-${data.archive_file.predict.output_md5}.zip"
  bucket = google_storage_bucket.sources.name
  source = data.archive_file.predict.output_path
}

resource "google_service_account" "predict" {
  account_id   = "so-predict"
  display_name = "strikeouts function predict (reads features and models only)"
  depends_on   = [terraform_data.apis_settle]
}

resource "google_cloudfunctions2_function" "predict" {
  #checkov:skip=CKV_GCP_124:on-demand prices are asked from outside the project network; IAM decides (run.invoker only for var.predict_invokers, never allUsers: validated)
  name     = "predict"
  location = var.region

  build_config {
    runtime           = "python311"
    entry_point       = "predict"
    service_account   = google_service_account.builder.id
    docker_repository = google_artifact_registry_repository.functions.id
    source {
      storage_source {
        bucket = google_storage_bucket.sources.name
        object = lookup(var.function_source_objects, "predict", google_storage_bucket_object.predict_source.name)
      }
    }
  }

  service_config {
    available_memory                 = "1Gi"
    available_cpu                    = "1"
    timeout_seconds                  = 60
    max_instance_count               = var.function_max_instances
    max_instance_request_concurrency = 4
    # reachable from outside the project, but IAM decides who may call it
    ingress_settings               = "ALLOW_ALL"
    all_traffic_on_latest_revision = true
    service_account_email          = google_service_account.predict.email
    environment_variables = {
      STRIKEOUTS_GCP_PROJECT       = var.project_id
      STRIKEOUTS_WAREHOUSE         = local.warehouse
      STRIKEOUTS_FEATURE_WAREHOUSE = local.warehouse
      STRIKEOUTS_MODEL_STORE       = local.function_env.STRIKEOUTS_MODEL_STORE
      STRIKEOUTS_LOG_FORMAT        = "json"
    }
  }

  depends_on = [
    terraform_data.apis_settle,
    terraform_data.grants_settle,
    google_storage_bucket_iam_member.builder_reads_sources,
  ]
}

resource "google_cloud_run_service_iam_member" "predict_invoker" {
  for_each = toset(var.predict_invokers)
  location = var.region
  service  = google_cloudfunctions2_function.predict.service_config[0].service
  role     = "roles/run.invoker"
  member   = each.value
}

# Reads the feature tables (queries run as jobs in the project) and the champions.
resource "google_project_iam_member" "predict_jobs" {
  project = var.project_id
  role    = "roles/bigquery.jobUser"
  member  = "serviceAccount:${google_service_account.predict.email}"
}

resource "google_bigquery_dataset_iam_member" "predict_reads" {
  dataset_id = google_bigquery_dataset.warehouse.dataset_id
  role       = "roles/bigquery.dataViewer"
  member     = "serviceAccount:${google_service_account.predict.email}"
}

resource "google_storage_bucket_iam_member" "predict_models" {
  bucket = google_storage_bucket.models.name
  role   = "roles/storage.objectViewer"
  member = "serviceAccount:${google_service_account.predict.email}"
}
