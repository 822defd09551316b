# The account Cloud Build runs as when it builds a function's source into an image
# (build_config.service_account), instead of the project's default compute account with its
# broad Editor role. Cloud Functions documents one role for a custom build account,
# roles/cloudbuild.builds.builder (read the staged source, write the build's logs, push the
# image); it is granted at project level (the only level it exists at), and the images go to
# this module's own repository, where the builder also holds writer, nothing project-wide.
resource "google_service_account" "builder" {
  account_id   = "so-function-builder"
  display_name = "strikeouts function source builds"
  depends_on   = [terraform_data.apis_settle]
}

resource "google_project_iam_member" "builder" {
  #checkov:skip=CKV_GCP_49:roles/cloudbuild.builds.builder is the role Cloud Functions documents for a custom build account; only function builds run as this account (it holds no key)
  for_each = toset([
    "roles/cloudbuild.builds.builder", # the documented role of a custom function build account
  ])
  project = var.project_id
  role    = each.value
  member  = "serviceAccount:${google_service_account.builder.email}"
}

resource "google_storage_bucket_iam_member" "builder_reads_sources" {
  bucket = google_storage_bucket.sources.name
  role   = "roles/storage.objectViewer"
  member = "serviceAccount:${google_service_account.builder.email}"
}

# The functions' images (build_config.docker_repository), instead of the gcf-artifacts
# repository Cloud Functions would create without a cleanup policy: every deploy adds an image
# per function, and storage past 0.5 GB is billed. Kept: each function's two newest images
# (the one serving and the one before); anything else older than a week is deleted.
resource "google_artifact_registry_repository" "functions" {
  #checkov:skip=CKV_GCP_84:the images hold only this repository's code and its public dependencies; the data is in the CMEK-covered buckets, dataset and topics
  repository_id          = "strikeouts-functions"
  location               = var.region
  format                 = "DOCKER"
  description            = "strikeouts function images (Cloud Functions builds)"
  cleanup_policy_dry_run = false

  cleanup_policies {
    id     = "keep-serving-and-previous"
    action = "KEEP"
    most_recent_versions {
      keep_count = 2
    }
  }
  cleanup_policies {
    id     = "delete-older-than-a-week"
    action = "DELETE"
    condition {
      tag_state  = "ANY"
      older_than = "604800s"
    }
  }
  depends_on = [terraform_data.apis_settle]
}

resource "google_artifact_registry_repository_iam_member" "builder_pushes" {
  location   = google_artifact_registry_repository.functions.location
  repository = google_artifact_registry_repository.functions.name
  role       = "roles/artifactregistry.writer"
  member     = "serviceAccount:${google_service_account.builder.email}"
}
