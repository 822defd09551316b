resource "google_bigquery_dataset" "warehouse" {
  dataset_id = var.dataset
  location   = var.region

  # CMEK: every table created in the dataset (by Terraform or the functions) uses the key
  dynamic "default_encryption_configuration" {
    for_each = var.kms_key_name == null ? [] : [var.kms_key_name]
    content {
      kms_key_name = default_encryption_configuration.value
    }
  }
  depends_on = [terraform_data.apis_settle, google_kms_crypto_key_iam_member.cmek]
}

# Scratch: the short-lived tables a MERGE loads its rows into (cloud/bigquery_warehouse.py,
# STRIKEOUTS_BIGQUERY_SCRATCH_DATASET). The functions may create tables here and only here;
# a table left by a crashed merge expires within a day.
resource "google_bigquery_dataset" "scratch" {
  dataset_id                  = "${var.dataset}_scratch"
  location                    = var.region
  default_table_expiration_ms = 86400000

  dynamic "default_encryption_configuration" {
    for_each = var.kms_key_name == null ? [] : [var.kms_key_name]
    content {
      kms_key_name = default_encryption_configuration.value
    }
  }
  depends_on = [terraform_data.apis_settle, google_kms_crypto_key_iam_member.cmek]
}

# Tables from schemas/bigquery/*.json, partitioning and clustering from tables.json.
resource "google_bigquery_table" "table" {
  #checkov:skip=CKV_GCP_80:CMEK is optional (var.kms_key_name) and set as the dataset default encryption (bigquery.tf), which every table inherits; checkov does not see dataset defaults
  for_each            = toset(local.table_names)
  dataset_id          = google_bigquery_dataset.warehouse.dataset_id
  table_id            = each.value
  schema              = file("${local.schemas}/${each.value}.json")
  clustering          = try(local.tables[each.value].cluster, null)
  deletion_protection = true

  dynamic "time_partitioning" {
    for_each = try([local.tables[each.value].partition], [])
    content {
      type  = "DAY"
      field = time_partitioning.value
    }
  }
}

# The ensemble stages rows here (streaming inserts); the tick MERGEs them on the row key. One
# staging table per destination: the predictions, and the shadow challengers' rows.
# Schema = the final table's columns + schemas/bigquery/staging/columns.json (nothing copied).
resource "google_bigquery_table" "staging" {
  #checkov:skip=CKV_GCP_80:CMEK is optional (var.kms_key_name) and set as the dataset default encryption (bigquery.tf), which every table inherits; checkov does not see dataset defaults
  for_each   = toset(local.staged_tables)
  dataset_id = google_bigquery_dataset.warehouse.dataset_id
  table_id   = "${each.key}_staging"
  schema = jsonencode(concat(
    jsondecode(file("${local.schemas}/${each.key}.json")),
    jsondecode(file("${local.schemas}/staging/columns.json")),
  ))
  # it holds staged rows not merged yet: deleting it would lose them
  deletion_protection = true

  time_partitioning {
    type          = "DAY"
    field         = "staged_at"
    expiration_ms = var.staging_partition_days * 86400000
  }
}

moved {
  from = google_bigquery_table.predictions_staging
  to   = google_bigquery_table.staging["pitcher_strikeout_predictions"]
}

# The `latest` view from its SQL file (views need dataset-qualified table names).
resource "google_bigquery_table" "predictions_latest" {
  #checkov:skip=CKV_GCP_80:a view stores no data, there is nothing to encrypt
  #checkov:skip=CKV_GCP_121:a view holds no data; it is recreated from its SQL file
  dataset_id          = google_bigquery_dataset.warehouse.dataset_id
  table_id            = "pitcher_strikeout_predictions_latest"
  deletion_protection = false

  view {
    use_legacy_sql = false
    query = replace(
      trimspace(regex("(?s)AS\\s*\\n(SELECT.*)$", file("${local.schemas}/views/pitcher_strikeout_predictions_latest.sql"))[0]),
      "FROM pitcher_strikeout_predictions",
      "FROM `${var.project_id}.${var.dataset}.pitcher_strikeout_predictions`",
    )
  }

  depends_on = [google_bigquery_table.table]
}
