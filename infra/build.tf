# The account Cloud Build runs as when it builds a function's source into an image
# (build_config.service_account), instead of the project's default compute account with its
# broad Editor role. Least privilege for a gen2 function build: read the source object,
# push the image to Artifact Registry, write build logs.
resource "google_service_account" "builder" {
  account_id   = "so-function-builder"
  display_name = "strikeouts function source builds"
  depends_on   = [google_project_service.api]
}

resource "google_storage_bucket_iam_member" "builder_reads_sources" {
  bucket = google_storage_bucket.sources.name
  role   = "roles/storage.objectViewer"
  member = "serviceAccount:${google_service_account.builder.email}"
}

# Cloud Functions copies each source into its own bucket (gcf-v2-sources-NUMBER-REGION, made
# on the first deploy, so it cannot be named in a bucket grant yet): objectViewer is limited
# to those buckets by a condition.
resource "google_project_iam_member" "builder_reads_staged_sources" {
  project = var.project_id
  role    = "roles/storage.objectViewer"
  member  = "serviceAccount:${google_service_account.builder.email}"
  condition {
    title      = "gcf-sources-only"
    expression = "resource.name.startsWith(\"projects/_/buckets/gcf-v2-sources-\")"
  }
}

resource "google_project_iam_member" "builder" {
  for_each = toset([
    "roles/artifactregistry.writer", # push the built image (gcf-artifacts repository)
    "roles/logging.logWriter",       # the build's logs
  ])
  project = var.project_id
  role    = each.value
  member  = "serviceAccount:${google_service_account.builder.email}"
}
