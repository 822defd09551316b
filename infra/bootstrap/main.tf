locals {
  state_bucket = coalesce(var.state_bucket_name, "${var.project_id}-strikeouts-tfstate")

  # What the bootstrap itself needs; infra/apis.tf enables the rest on the first deploy.
  apis = toset([
    "cloudbuild.googleapis.com",
    "cloudresourcemanager.googleapis.com",
    "iam.googleapis.com",
    "serviceusage.googleapis.com",
    "storage.googleapis.com",
  ])

  # Exactly what `terraform apply` of infra/ needs (docs/DEPLOY.md says why, role by role).
  deploy_roles = toset([
    "roles/serviceusage.serviceUsageAdmin", # enable the APIs, create the Pub/Sub service identity
    "roles/browser",                        # read the project (number) and the service agents' ids
    "roles/storage.admin",                  # buckets, their IAM, source uploads, the state objects
    "roles/bigquery.admin",                 # dataset, tables, views, dataset and table IAM
    "roles/pubsub.admin",                   # topics, subscriptions and their IAM
    "roles/cloudfunctions.developer",       # create and update the gen2 functions
    "roles/run.admin",                      # run.invoker bindings on the functions' Cloud Run services
    "roles/cloudscheduler.admin",           # the tick, game-day and monitor jobs
    "roles/secretmanager.admin",            # the Odds API secret and its accessor binding
    "roles/logging.configWriter",           # log-based metrics
    "roles/monitoring.alertPolicyEditor",   # alert policies
    "roles/logging.logWriter",              # the Cloud Build deploy's own logs (it runs as this account)
    "roles/artifactregistry.admin",         # the functions' image repository, its cleanup policy and IAM
  ])

  # project-level grants infra/ makes (iam.tf, build.tf): the deploy account may grant these only
  # the pipeline's own accounts: kept apart so their checkov skips cover this role only.
  # No project-wide serviceAccountUser: infra/iam.tf grants the deploy account actAs on each
  # account infra/ creates, and on nothing else.
  service_account_roles = toset([
    "roles/iam.serviceAccountAdmin", # create the function, push and builder accounts; grant actAs and token creation on them
  ])

  grantable_roles = [
    "roles/bigquery.jobUser",
    "roles/cloudbuild.builds.builder",
  ]
}

resource "google_project_service" "api" {
  for_each           = local.apis
  service            = each.value
  disable_on_destroy = false
}

# Terraform state of every environment (prefix per environment: infra/envs/*.backend.hcl).
# Versioned: a corrupted or deleted state is restored from a previous generation.
resource "google_storage_bucket" "state" {
  #checkov:skip=CKV_GCP_62:only the deploy account and owners read it, through Terraform; Cloud Audit Logs record admin access, usage logs would be another bucket to secure
  name                        = local.state_bucket
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = false
  versioning {
    enabled = true
  }
  # keep the last 20 generations of each state file, drop older ones
  lifecycle_rule {
    condition {
      num_newer_versions = 20
      with_state         = "ARCHIVED"
    }
    action {
      type = "Delete"
    }
  }
  dynamic "encryption" {
    for_each = var.kms_key_name == null ? [] : [var.kms_key_name]
    content {
      default_kms_key_name = encryption.value
    }
  }
  depends_on = [google_project_service.api]
}

resource "google_service_account" "deploy" {
  account_id   = "so-deploy"
  display_name = "strikeouts deploy (Cloud Build runs terraform apply as it)"
  depends_on   = [google_project_service.api]
}

resource "google_project_iam_member" "deploy" {
  for_each = local.deploy_roles
  project  = var.project_id
  role     = each.value
  member   = "serviceAccount:${google_service_account.deploy.email}"
}

resource "google_project_iam_member" "deploy_service_accounts" {
  #checkov:skip=CKV_GCP_41:the deploy account creates the accounts infra/ uses in the same apply (and adds or drops them with var.systems) and grants itself actAs on each of them only; no per-account grant can exist before they do
  #checkov:skip=CKV_GCP_49:creating and deploying as the pipeline's own accounts is the deploy account's job; it holds no key and only Cloud Build runs as it
  for_each = local.service_account_roles
  project  = var.project_id
  role     = each.value
  member   = "serviceAccount:${google_service_account.deploy.email}"
}

# Granting project roles is limited by a condition to the roles infra/ grants: the deploy
# account cannot make anyone (itself included) owner or editor.
resource "google_project_iam_member" "deploy_grants" {
  project = var.project_id
  role    = "roles/resourcemanager.projectIamAdmin"
  member  = "serviceAccount:${google_service_account.deploy.email}"
  condition {
    title       = "strikeouts-grants-only"
    description = "Only the project roles infra/ grants to its own accounts."
    expression  = "api.getAttribute('iam.googleapis.com/modifiedGrantsByRole', []).hasOnly(${jsonencode(local.grantable_roles)})"
  }
}

# With CMEK, infra/ grants encrypt/decrypt on the key to the service agents.
resource "google_kms_crypto_key_iam_member" "deploy_grants_key" {
  count         = var.kms_key_name == null ? 0 : 1
  crypto_key_id = var.kms_key_name
  role          = "roles/cloudkms.admin"
  member        = "serviceAccount:${google_service_account.deploy.email}"
}

# A push to the branch runs cloudbuild.yaml (the PLAN build: gates, plan, stored plan and
# its `terraform show`) as the deploy account. The repository must be connected to Cloud
# Build once by hand (the GitHub app: console, Cloud Build, Repositories).
resource "google_cloudbuild_trigger" "deploy" {
  name            = "strikeouts-plan-${var.environment}"
  description     = "strikeouts: check and plan ${var.environment} on push to ${var.github_branch} (applies nothing)"
  location        = "global"
  filename        = "cloudbuild.yaml"
  service_account = google_service_account.deploy.id

  github {
    owner = var.github_owner
    name  = var.github_repo
    push {
      branch = "^${replace(var.github_branch, ".", "\\.")}$"
    }
  }

  substitutions = {
    _ENV             = var.environment
    _TF_STATE_BUCKET = google_storage_bucket.state.name
    _REGION          = var.region
    _DATA_URI        = var.data_uri
  }

  depends_on = [google_project_iam_member.deploy, google_project_iam_member.deploy_service_accounts]
}

locals {
  repository_uri = "https://github.com/${var.github_owner}/${var.github_repo}"
  manual_builds = {
    # applies the plan stored for the commit it runs at; prod: held until an approver
    # (roles/cloudbuild.builds.approver) accepts it, after reading the stored plan
    apply = { file = "cloudbuild-apply.yaml", approval = var.environment == "prod" }
    # returns to the last release; the apply build starts it at that release's commit
    rollback = { file = "cloudbuild-rollback.yaml", approval = false }
  }
}

# Run by hand or by the apply build, always at a given commit:
#   gcloud builds triggers run strikeouts-apply-ENV --sha=COMMIT
resource "google_cloudbuild_trigger" "manual" {
  for_each        = local.manual_builds
  name            = "strikeouts-${each.key}-${var.environment}"
  description     = "strikeouts: ${each.key} ${var.environment} (${each.value.file})"
  location        = "global"
  service_account = google_service_account.deploy.id

  source_to_build {
    uri       = local.repository_uri
    ref       = "refs/heads/${var.github_branch}"
    repo_type = "GITHUB"
  }

  git_file_source {
    path      = each.value.file
    uri       = local.repository_uri
    revision  = "refs/heads/${var.github_branch}"
    repo_type = "GITHUB"
  }

  substitutions = {
    _ENV             = var.environment
    _TF_STATE_BUCKET = google_storage_bucket.state.name
    _REGION          = var.region
  }

  approval_config {
    approval_required = each.value.approval
  }

  depends_on = [google_project_iam_member.deploy, google_project_iam_member.deploy_service_accounts]
}
