output "state_bucket" {
  description = "Terraform state bucket (bucket = in infra/envs/<env>.backend.hcl)."
  value       = google_storage_bucket.state.name
}

output "deploy_service_account" {
  description = "The account Cloud Build deploys as."
  value       = google_service_account.deploy.email
}

output "trigger_id" {
  description = "Cloud Build trigger id (gcloud builds triggers run ID --branch=BRANCH)."
  value       = google_cloudbuild_trigger.deploy.trigger_id
}
