# The SELECT of one schemas/bigquery/views/*.sql file with the project's tables and views
# qualified by the dataset (BigQuery views must name their tables so). The same rule as
# strikeouts.monitoring.views.view_sql, which the DuckDB and emulator paths use; CTE names
# and column aliases are left alone because only the listed names after FROM/JOIN change.
variable "sql" {
  description = "Content of the view's SQL file (CREATE OR REPLACE VIEW name AS ...)."
  type        = string
}

variable "names" {
  description = "Every table and view name of the dataset."
  type        = list(string)
}

variable "dataset_ref" {
  description = "PROJECT.DATASET the names live in."
  type        = string
}

locals {
  # longest first, so a name never stops at a shorter name it starts with
  names       = reverse(sort([for n in var.names : format("%04d%s", length(n), n)]))
  alternation = join("|", [for n in local.names : substr(n, 4, -1)])
  select      = trimspace(regex("(?s)CREATE OR REPLACE VIEW \\w+ AS\\s*\\n(.*)$", var.sql)[0])
}

output "query" {
  description = "The view's query, table references qualified."
  value       = replace(local.select, "/\\b(FROM|JOIN)\\s+(${local.alternation})\\b/", "$1 `${var.dataset_ref}.$2`")
}
