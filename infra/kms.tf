# Optional CMEK (var.kms_key_name): the buckets, the dataset's tables and the Pub/Sub topics
# are encrypted with the customer's key. Each Google service encrypts as its own service
# agent, so each agent gets encrypt/decrypt on that one key (nothing project-wide). With
# kms_key_name = null nothing here exists and Google-managed keys are used.
data "google_storage_project_service_account" "gcs" {
  depends_on = [terraform_data.apis_settle]
}

data "google_bigquery_default_service_account" "bq" {
  depends_on = [terraform_data.apis_settle]
}

locals {
  cmek_agents = var.kms_key_name == null ? {} : {
    storage  = "serviceAccount:${data.google_storage_project_service_account.gcs.email_address}"
    bigquery = "serviceAccount:${data.google_bigquery_default_service_account.bq.email}"
    pubsub   = local.pubsub_agent
  }
}

resource "google_kms_crypto_key_iam_member" "cmek" {
  for_each      = local.cmek_agents
  crypto_key_id = var.kms_key_name
  role          = "roles/cloudkms.cryptoKeyEncrypterDecrypter"
  member        = each.value
  depends_on    = [terraform_data.apis_settle]
}
