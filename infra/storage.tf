resource "google_storage_bucket" "models" {
  name                        = "${var.project_id}-strikeouts-models"
  location                    = var.region
  uniform_bucket_level_access = true
  versioning {
    enabled = true # model artifacts are immutable versions; aliases change by generation
  }
}

# Aggregation state (one object per pitcher-game), delivery-attempt counters, merge lease.
resource "google_storage_bucket" "state" {
  name                        = "${var.project_id}-strikeouts-state"
  location                    = var.region
  uniform_bucket_level_access = true
  lifecycle_rule {
    condition {
      age            = 7
      matches_prefix = ["state/delivery/"]
    }
    action {
      type = "Delete"
    }
  }
  lifecycle_rule {
    condition {
      age = 90
    }
    action {
      type = "Delete"
    }
  }
}

resource "google_storage_bucket" "sources" {
  name                        = "${var.project_id}-strikeouts-function-sources"
  location                    = var.region
  uniform_bucket_level_access = true
  lifecycle_rule {
    condition {
      age = 30
    }
    action {
      type = "Delete"
    }
  }
}
