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
