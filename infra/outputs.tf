output "warehouse" {
  description = "STRIKEOUTS_WAREHOUSE of the deployed functions."
  value       = local.warehouse
}

output "function_uris" {
  description = "Service URL of each function (push endpoints add /projects/P/topics/T)."
  value       = { for k, f in google_cloudfunctions2_function.function : k => f.service_config[0].uri }
}

output "function_names" {
  description = "Function key -> deployed function name (gcloud functions describe NAME --gen2)."
  value = merge(
    { for k, f in google_cloudfunctions2_function.function : k => f.name },
    { predict = google_cloudfunctions2_function.predict.name },
  )
}

output "function_source_objects" {
  description = "Function key -> source object each function is built from. Saved before a deploy, it is the rollback: terraform apply -var-file=rollback.tfvars.json with {\"function_source_objects\": <this>}."
  value = merge(local.function_source_objects, {
    predict = google_cloudfunctions2_function.predict.build_config[0].source[0].storage_source[0].object
  })
}

output "expected_systems" {
  description = "Systems the ensemble waits for (STRIKEOUTS_PIPELINE_EXPECTED_SYSTEMS)."
  value       = var.systems.expected
}

output "write_ensemble" {
  description = "Whether the ensemble row is written (STRIKEOUTS_PIPELINE_WRITE_ENSEMBLE)."
  value       = var.systems.ensemble
}

output "buckets" {
  description = "Bucket names: models (champions), state, sources, reports."
  value = {
    models  = google_storage_bucket.models.name
    state   = google_storage_bucket.state.name
    sources = google_storage_bucket.sources.name
    reports = google_storage_bucket.reports.name
  }
}

output "predict_uri" {
  description = "URL of the predict HTTP function (call it with an identity token)."
  value       = google_cloudfunctions2_function.predict.service_config[0].uri
}
