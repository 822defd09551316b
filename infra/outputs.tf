output "warehouse" {
  description = "STRIKEOUTS_WAREHOUSE of the deployed functions."
  value       = local.warehouse
}

output "function_uris" {
  description = "Push endpoint of each function."
  value       = { for k, f in google_cloudfunctions2_function.function : k => f.service_config[0].uri }
}

output "buckets" {
  value = {
    models  = google_storage_bucket.models.name
    state   = google_storage_bucket.state.name
    sources = google_storage_bucket.sources.name
  }
}

output "predict_uri" {
  description = "URL of the predict HTTP function (call it with an identity token)."
  value       = google_cloudfunctions2_function.predict.service_config[0].uri
}
