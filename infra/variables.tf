variable "project_id" {
  description = "Google Cloud project to deploy into."
  type        = string
}

variable "region" {
  description = "Region of the functions, buckets, dataset and scheduler job."
  type        = string
  default     = "us-central1"
}

variable "dataset" {
  description = "BigQuery dataset of the warehouse (bigquery://PROJECT/DATASET)."
  type        = string
  default     = "strikeouts"
}

variable "functions_build_dir" {
  description = "Output of `strikeouts package-functions` (one folder per function)."
  type        = string
  default     = "../build/functions"
}

variable "max_delivery_attempts" {
  description = "Pub/Sub deliveries before a message goes to the dead-letter topic (5..100); the functions' own limit is PipelineConfig.max_delivery_attempts (5)."
  type        = number
  default     = 5
}

variable "function_max_instances" {
  description = "Upper bound of instances per function (the ensemble_tick runs one at a time)."
  type        = number
  default     = 20
}

variable "staging_partition_days" {
  description = "Days a staged prediction row is kept (a backstop: each merge clears merged rows)."
  type        = number
  default     = 2
}

variable "predict_invokers" {
  description = "Members allowed to call the predict HTTP function (e.g. user:analyst@example.com, serviceAccount:...). Empty: only project owners via their own grants."
  type        = list(string)
  default     = []
  validation {
    condition     = alltrue([for m in var.predict_invokers : !contains(["allUsers", "allAuthenticatedUsers"], m)])
    error_message = "predict is never public: allUsers and allAuthenticatedUsers are not allowed."
  }
  validation {
    condition     = alltrue([for m in var.predict_invokers : can(regex("^(user|serviceAccount|group|domain):", m))])
    error_message = "Each invoker is user:, serviceAccount:, group: or domain: followed by its id."
  }
}

variable "notification_channels" {
  description = "Cloud Monitoring notification channel ids (projects/P/notificationChannels/N) the alerts go to."
  type        = list(string)
  default     = []
}

variable "monitor_schedules" {
  description = "Cron schedules (America/New_York) of the monitor function: after the night's results, before first pitch."
  type        = list(string)
  default     = ["30 4 * * *", "0 12 * * *"]
}

variable "function_error_rate_max" {
  description = "Share of a function's requests answered 5xx over 5 minutes that alerts."
  type        = number
  default     = 0.05
}
