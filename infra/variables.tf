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

variable "statsapi_url" {
  description = "MLB Stats API base URL (public, no key)."
  type        = string
  default     = "https://statsapi.mlb.com"
}

variable "odds_api_url" {
  description = "The Odds API base URL (paid, quota per month; the key is in Secret Manager)."
  type        = string
  default     = "https://api.the-odds-api.com"
}

variable "league_time_zone" {
  description = "Time zone of the scheduler jobs and of the game date a trigger stands for."
  type        = string
  default     = "America/New_York"
}

variable "schedule_crons" {
  description = "When the schedule function builds and publishes the slate (league time zone): e.g. the morning, and about 90 minutes before the usual first pitch. Each run with a changed slate (scratch, line move) is a new run that supersedes the earlier one."
  type        = list(string)
  default     = ["0 10 * * *", "35 11 * * *", "35 17 * * *"]
}

variable "results_cron" {
  description = "When the results function takes yesterday's finals and grades them (league time zone)."
  type        = string
  default     = "0 5 * * *"
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
