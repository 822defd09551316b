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

# Propagation waits (a fresh project): an API reports enabled before every service accepts
# calls on it, a new service agent exists before IAM accepts grants to it, and some services
# check a grant when a resource is created (the BigQuery subscription, push OIDC, the
# function build). Each wait runs only when what it waits for is created or replaced
# (triggers_replace), so a routine apply does not sleep. No provider beyond Terraform's own
# terraform_data: the hashicorp/time provider's checksums cannot be fetched to pin here.
resource "terraform_data" "apis_settle" {
  triggers_replace = sort([for api in google_project_service.api : api.id])
  provisioner "local-exec" {
    command = "sleep ${var.propagation_wait_seconds}"
  }
}

# local.pubsub_agent is this resource's output: every grant to the agent waits for it.
resource "terraform_data" "pubsub_agent" {
  input = "serviceAccount:${google_project_service_identity.pubsub.email}"
  provisioner "local-exec" {
    command = "sleep ${var.propagation_wait_seconds}"
  }
}

locals {
  pubsub_agent = terraform_data.pubsub_agent.output
}

# Grants that a service checks while creating something else: the subscriptions, the
# BigQuery subscription and the functions wait for them to propagate.
resource "terraform_data" "grants_settle" {
  triggers_replace = sort(concat(
    [google_bigquery_table_iam_member.pubsub_writes_dead_letters.id],
    [google_pubsub_topic_iam_member.agent_dead_letter.id],
    [google_service_account_iam_member.agent_token_creator.id],
    [google_secret_manager_secret_iam_member.schedule_reads_odds_key.id],
    [for g in google_project_iam_member.builder : g.id],
    [google_artifact_registry_repository_iam_member.builder_pushes.id],
    [for g in google_service_account_iam_member.deploy_acts_as : g.id],
  ))
  provisioner "local-exec" {
    command = "sleep ${var.propagation_wait_seconds}"
  }
}
