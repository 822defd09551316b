# Every bucket: uniform access, public access prevention enforced, CMEK when configured.
# (The encryption grant to the Storage service agent is in kms.tf.)

resource "google_storage_bucket" "models" {
  #checkov:skip=CKV_GCP_62:changes to the champions are recorded by Cloud Audit Logs (admin activity) and by the alias history objects; reads are the functions' own cold starts
  name                        = "${var.project_id}-strikeouts-models"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  versioning {
    enabled = true # model artifacts are immutable versions; aliases change by generation
  }
  dynamic "encryption" {
    for_each = var.kms_key_name == null ? [] : [var.kms_key_name]
    content {
      default_kms_key_name = encryption.value
    }
  }
  depends_on = [terraform_data.apis_settle, google_kms_crypto_key_iam_member.cmek]
}

# Aggregation state (one object per pitcher-game), delivery-attempt counters, merge lease.
resource "google_storage_bucket" "state" {
  #checkov:skip=CKV_GCP_62:only the pipeline's own accounts touch it, thousands of state reads and writes a day; usage logs would be a second bucket of pure noise
  #checkov:skip=CKV_GCP_78:scratch state rewritten by conditional writes (generation preconditions); old versions have no use and versioning would keep every rewrite
  name                        = "${var.project_id}-strikeouts-state"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
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
  dynamic "encryption" {
    for_each = var.kms_key_name == null ? [] : [var.kms_key_name]
    content {
      default_kms_key_name = encryption.value
    }
  }
  depends_on = [terraform_data.apis_settle, google_kms_crypto_key_iam_member.cmek]
}

# Function sources, uploaded by content hash (functions.tf). No lifecycle deletion: every
# object here is either tracked by Terraform (the current sources) or a previous deploy's
# source that a rollback builds again (var.function_source_objects). Versioning keeps an
# overwritten or deleted object recoverable; a noncurrent version goes after 30 days.
resource "google_storage_bucket" "sources" {
  #checkov:skip=CKV_GCP_62:written only by the deploy account through Terraform, whose applies Cloud Build logs; Cloud Audit Logs record admin activity
  name                        = "${var.project_id}-strikeouts-function-sources"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  versioning {
    enabled = true
  }
  lifecycle_rule {
    condition {
      days_since_noncurrent_time = 30
      with_state                 = "ARCHIVED"
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
  depends_on = [terraform_data.apis_settle, google_kms_crypto_key_iam_member.cmek]
}
