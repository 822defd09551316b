# The functions (gen2 = Cloud Run services) from `strikeouts package-functions` output:
# each folder is zipped, uploaded under its content hash (a change redeploys), and built by
# Cloud Build as the builder account (build.tf). Every system function (predict_<id>) is built
# from the one predict_system folder (one zip), its STRIKEOUTS_SYSTEM_ID naming the system it
# serves. HTTP-triggered; Pub/Sub pushes to them (pubsub.tf). A function named in
# var.function_source_objects is built from that earlier upload instead (rollback): the objects
# stay in the sources bucket, nothing deletes them.
locals {
  # function key -> the folder (and entry point) it is deployed from
  function_folders = {
    for fn in keys(local.functions) : fn => contains(keys(local.system_functions), fn) ? "predict_system" : fn
  }
}

data "archive_file" "function" {
  for_each    = toset(values(local.function_folders))
  type        = "zip"
  source_dir  = "${var.functions_build_dir}/${each.key}"
  output_path = "${path.module}/.build/${each.key}.zip"
  excludes    = ["**/__pycache__/**"]
}

resource "google_storage_bucket_object" "function_source" {
  for_each = toset(values(local.function_folders))
  name     = "functions/${each.key}-${data.archive_file.function[each.key].output_md5}.zip"
  bucket   = google_storage_bucket.sources.name
  source   = data.archive_file.function[each.key].output_path
}

locals {
  function_source_objects = {
    for fn in keys(local.functions) :
    fn => lookup(var.function_source_objects, fn, google_storage_bucket_object.function_source[local.function_folders[fn]].name)
  }
}

resource "google_cloudfunctions2_function" "function" {
  for_each = local.functions
  name     = replace(each.key, "_", "-")
  location = var.region

  build_config {
    runtime           = "python311"
    entry_point       = local.function_folders[each.key]
    service_account   = google_service_account.builder.id
    docker_repository = google_artifact_registry_repository.functions.id
    source {
      storage_source {
        bucket = google_storage_bucket.sources.name
        object = local.function_source_objects[each.key]
      }
    }
  }

  service_config {
    available_memory = each.value.memory
    available_cpu    = "1"
    timeout_seconds  = local.function_timeout_seconds
    # the tick MERGEs staged rows: one instance serving one request at a time
    max_instance_count               = each.key == "ensemble_tick" ? 1 : var.function_max_instances
    max_instance_request_concurrency = contains(["fanout", "ensemble_tick"], each.key) ? 1 : 8
    ingress_settings                 = "ALLOW_INTERNAL_ONLY"
    all_traffic_on_latest_revision   = true
    service_account_email            = google_service_account.function[each.key].email
    environment_variables = merge(
      local.function_env,
      contains(local.gameday_functions, each.key) ? local.gameday_env : {},
      contains(keys(local.system_functions), each.key) ? { STRIKEOUTS_SYSTEM_ID = trimprefix(each.key, "predict_") } : {}
    )

    # only the schedule function sees the Odds API key, read from Secret Manager at start-up
    dynamic "secret_environment_variables" {
      for_each = each.key == "schedule" ? [1] : []
      content {
        key        = "STRIKEOUTS_ODDS_API_KEY"
        project_id = var.project_id
        secret     = google_secret_manager_secret.odds_api_key.secret_id
        version    = "latest"
      }
    }
  }

  depends_on = [
    terraform_data.apis_settle,
    terraform_data.grants_settle,
    google_storage_bucket_iam_member.builder_reads_sources,
    google_secret_manager_secret_version.odds_api_key_placeholder,
  ]
}

# Only the push identity may invoke the functions.
resource "google_cloud_run_service_iam_member" "pusher_invokes" {
  for_each = local.functions
  location = var.region
  service  = google_cloudfunctions2_function.function[each.key].service_config[0].service
  role     = "roles/run.invoker"
  member   = "serviceAccount:${google_service_account.pusher.email}"
}
