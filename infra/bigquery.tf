resource "google_bigquery_dataset" "warehouse" {
  dataset_id = var.dataset
  location   = var.region
}

# Tables from schemas/bigquery/*.json, partitioning and clustering from tables.json.
resource "google_bigquery_table" "table" {
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

# The ensemble stages rows here (streaming inserts); the tick MERGEs them on the row key.
# Schema = the final table's columns + schemas/bigquery/staging/columns.json (nothing copied).
resource "google_bigquery_table" "predictions_staging" {
  dataset_id = google_bigquery_dataset.warehouse.dataset_id
  table_id   = "pitcher_strikeout_predictions_staging"
  schema = jsonencode(concat(
    jsondecode(file("${local.schemas}/pitcher_strikeout_predictions.json")),
    jsondecode(file("${local.schemas}/staging/columns.json")),
  ))
  deletion_protection = false

  time_partitioning {
    type          = "DAY"
    field         = "staged_at"
    expiration_ms = var.staging_partition_days * 86400000
  }
}

# The `latest` view from its SQL file (views need dataset-qualified table names).
resource "google_bigquery_table" "predictions_latest" {
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
