# A fresh project: every API this module uses is enabled first, and the Pub/Sub service agent
# is created before anything grants it a role. disable_on_destroy = false: destroying this
# stack must not switch off APIs other workloads in the project may use.
locals {
  apis = toset([
    "artifactregistry.googleapis.com", # gen2 function images
    "bigquery.googleapis.com",
    "cloudbuild.googleapis.com", # builds the function sources
    "cloudfunctions.googleapis.com",
    "cloudkms.googleapis.com", # CMEK grants (only used with var.kms_key_name, harmless otherwise)
    "cloudresourcemanager.googleapis.com",
    "cloudscheduler.googleapis.com",
    "eventarc.googleapis.com", # required by gen2 functions
    "iam.googleapis.com",
    "iamcredentials.googleapis.com", # OIDC tokens for push and scheduler
    "logging.googleapis.com",
    "monitoring.googleapis.com",
    "pubsub.googleapis.com",
    "run.googleapis.com",
    "secretmanager.googleapis.com",
    "serviceusage.googleapis.com",
    "storage.googleapis.com",
  ])
}

resource "google_project_service" "api" {
  for_each           = local.apis
  project            = var.project_id
  service            = each.value
  disable_on_destroy = false
}

# The Pub/Sub service agent exists only once asked for; push OIDC, dead-lettering and the
# BigQuery subscription all act as it.
resource "google_project_service_identity" "pubsub" {
  provider   = google-beta
  project    = var.project_id
  service    = "pubsub.googleapis.com"
  depends_on = [google_project_service.api]
}

locals {
  pubsub_agent = "serviceAccount:${google_project_service_identity.pubsub.email}"
}
