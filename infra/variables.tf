# Every input a deployment can get wrong is validated here, so a bad value fails at plan
# time naming the variable, not half-way through an apply.

variable "project_id" {
  description = "Google Cloud project to deploy into."
  type        = string
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id is a Google Cloud project id: 6-30 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "environment" {
  description = "Deployment environment (names its state prefix in envs/<environment>.backend.hcl)."
  type        = string
  default     = "dev"
  validation {
    condition     = contains(["dev", "prod"], var.environment)
    error_message = "environment is dev or prod."
  }
}

variable "region" {
  description = "Region of the functions, buckets, dataset and scheduler jobs."
  type        = string
  default     = "us-central1"
  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]$", var.region))
    error_message = "region is a Google Cloud region such as us-central1 (not a zone, not a multi-region)."
  }
}

variable "dataset" {
  description = "BigQuery dataset of the warehouse (bigquery://PROJECT/DATASET)."
  type        = string
  default     = "strikeouts"
  validation {
    condition     = can(regex("^[A-Za-z_][A-Za-z0-9_]*$", var.dataset)) && length(var.dataset) <= 1024
    error_message = "dataset is at most 1024 letters, digits and underscores, not starting with a digit."
  }
}

variable "systems" {
  description = <<-EOT
    The rollout phase. deployed: the system functions that exist (predict_<id>); expected: the
    systems the ensemble waits for (STRIKEOUTS_PIPELINE_EXPECTED_SYSTEMS); ensemble: whether
    the ensemble row is written (STRIKEOUTS_PIPELINE_WRITE_ENSEMBLE). Phase 1 (and rollback):
    {deployed=["v1_baseline"], expected=["v1_baseline"], ensemble=false}; phase 2: both systems,
    ensemble=false; phase 3: both systems, ensemble=true.
  EOT
  type = object({
    deployed = list(string)
    expected = list(string)
    ensemble = bool
  })
  default = {
    deployed = ["v1_baseline"]
    expected = ["v1_baseline"]
    ensemble = false
  }
  validation {
    condition     = length(var.systems.deployed) > 0 && length(var.systems.expected) > 0
    error_message = "systems.deployed and systems.expected are non-empty (phase 1 deploys v1_baseline)."
  }
  validation {
    condition = alltrue([
      for s in concat(var.systems.deployed, var.systems.expected) : contains(local.registered_systems, s)
    ])
    error_message = "systems lists only registered system ids (strikeouts.models.systems): ${join(", ", local.registered_systems)}."
  }
  validation {
    condition     = alltrue([for s in var.systems.expected : contains(var.systems.deployed, s)])
    error_message = "systems.expected is a subset of systems.deployed: the ensemble cannot wait for a system that is not deployed."
  }
  validation {
    condition     = length(distinct(var.systems.deployed)) == length(var.systems.deployed) && length(distinct(var.systems.expected)) == length(var.systems.expected)
    error_message = "systems.deployed and systems.expected list each system once."
  }
}

# The registered system ids, as `strikeouts package-functions` wrote them from the registry
# (strikeouts.models.systems) beside the functions it built: a system added to the registry is
# deployable with the next build, and one not in it is refused.
locals {
  registered_systems = jsondecode(file("${var.functions_build_dir}/systems.json")).systems
}

variable "function_source_objects" {
  description = "Rollback: function key -> object in the sources bucket (a previous deploy's output function_source_objects) built instead of this build's zip. Empty: every function is built from build/functions."
  type        = map(string)
  default     = {}
  validation {
    condition     = alltrue([for k, v in var.function_source_objects : can(regex("^functions/[a-z0-9_]+-[0-9a-f]{32}\\.zip$", v))])
    error_message = "Each function_source_objects value is an uploaded source object: functions/<function>-<md5>.zip."
  }
}

variable "functions_build_dir" {
  description = "Output of `strikeouts package-functions` (one folder per function)."
  type        = string
  default     = "../build/functions"
  validation {
    condition     = length(trimspace(var.functions_build_dir)) > 0
    error_message = "functions_build_dir is the folder `strikeouts package-functions --out` wrote."
  }
}

variable "kms_key_name" {
  description = "Optional CMEK (projects/P/locations/L/keyRings/R/cryptoKeys/K) for the buckets, the dataset's tables and the Pub/Sub topics; null: Google-managed keys. The key must be in var.region."
  type        = string
  default     = null
  validation {
    condition     = var.kms_key_name == null || can(regex("^projects/[^/]+/locations/[^/]+/keyRings/[^/]+/cryptoKeys/[^/]+$", var.kms_key_name))
    error_message = "kms_key_name is projects/P/locations/L/keyRings/R/cryptoKeys/K, or null."
  }
}

variable "max_delivery_attempts" {
  description = "Pub/Sub deliveries before a message goes to the dead-letter topic (5..100); the functions' own limit is PipelineConfig.max_delivery_attempts (5)."
  type        = number
  default     = 5
  validation {
    condition     = var.max_delivery_attempts >= 5 && var.max_delivery_attempts <= 100 && floor(var.max_delivery_attempts) == var.max_delivery_attempts
    error_message = "max_delivery_attempts is a whole number from 5 to 100 (Pub/Sub's limits)."
  }
}

variable "function_max_instances" {
  description = "Upper bound of instances per function (the ensemble_tick runs one at a time)."
  type        = number
  default     = 20
  validation {
    condition     = var.function_max_instances >= 1 && var.function_max_instances <= 1000 && floor(var.function_max_instances) == var.function_max_instances
    error_message = "function_max_instances is a whole number from 1 to 1000."
  }
}

variable "staging_partition_days" {
  description = "Days a staged prediction row is kept (a backstop: each merge clears merged rows)."
  type        = number
  default     = 2
  validation {
    condition     = var.staging_partition_days >= 1 && var.staging_partition_days <= 30 && floor(var.staging_partition_days) == var.staging_partition_days
    error_message = "staging_partition_days is a whole number of days from 1 to 30."
  }
}

variable "dead_letter_retention_days" {
  description = "Days an unacknowledged dead letter stays on dead-letter-inspect (Pub/Sub allows up to 31); the BigQuery copy is kept regardless."
  type        = number
  default     = 31
  validation {
    condition     = var.dead_letter_retention_days >= 1 && var.dead_letter_retention_days <= 31 && floor(var.dead_letter_retention_days) == var.dead_letter_retention_days
    error_message = "dead_letter_retention_days is a whole number from 1 to 31 (Pub/Sub's retention limit)."
  }
}

variable "statsapi_url" {
  description = "MLB Stats API base URL (public, no key)."
  type        = string
  default     = "https://statsapi.mlb.com"
  validation {
    condition     = can(regex("^https://[^/\\s]+", var.statsapi_url))
    error_message = "statsapi_url is an https:// URL."
  }
}

variable "odds_api_url" {
  description = "The Odds API base URL (paid, quota per month; the key is in Secret Manager)."
  type        = string
  default     = "https://api.the-odds-api.com"
  validation {
    condition     = can(regex("^https://[^/\\s]+", var.odds_api_url))
    error_message = "odds_api_url is an https:// URL."
  }
}

variable "league_time_zone" {
  description = "Time zone of the scheduler jobs and of the game date a trigger stands for."
  type        = string
  default     = "America/New_York"
  validation {
    condition     = can(regex("^(Etc/UTC|UTC|[A-Z][A-Za-z_]+/[A-Za-z_/]+)$", var.league_time_zone))
    error_message = "league_time_zone is an IANA time zone name such as America/New_York."
  }
}

variable "schedule_crons" {
  description = "When the schedule function builds and publishes the slate (league time zone): e.g. the morning, and about 90 minutes before the usual first pitch. Each run with a changed slate (scratch, line move) is a new run that supersedes the earlier one."
  type        = list(string)
  # one job, three runs (a Cloud Scheduler job is billed per month, past three per account)
  default = ["35 10,11,17 * * *"]
  validation {
    condition     = length(var.schedule_crons) > 0 && alltrue([for c in var.schedule_crons : can(regex("^[0-9*,/-]+ [0-9*,/-]+ [0-9*,/-]+ [0-9*,/-]+ [0-9*,/-]+$", c))])
    error_message = "schedule_crons is a non-empty list of five-field cron expressions."
  }
}

variable "tick_schedule" {
  description = "When the ensemble tick runs (cron, league time zone): every minute from the first schedule run to the last possible final, in the months games are played (March-November). A tick with nothing to do runs no BigQuery job, but each is a request."
  type        = string
  default     = "* 0-1,10-23 * 3-11 *"
  validation {
    condition     = can(regex("^[0-9*,/-]+ [0-9*,/-]+ [0-9*,/-]+ [0-9*,/-]+ [0-9*,/-]+$", var.tick_schedule))
    error_message = "tick_schedule is a five-field cron expression."
  }
}

variable "results_cron" {
  description = "When the results function takes yesterday's finals and grades them (league time zone)."
  type        = string
  default     = "0 5 * * *"
  validation {
    condition     = can(regex("^[0-9*,/-]+ [0-9*,/-]+ [0-9*,/-]+ [0-9*,/-]+ [0-9*,/-]+$", var.results_cron))
    error_message = "results_cron is a five-field cron expression."
  }
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
  validation {
    condition     = alltrue([for c in var.notification_channels : can(regex("^projects/[^/]+/notificationChannels/[0-9]+$", c))])
    error_message = "Each notification channel is projects/P/notificationChannels/N."
  }
}

variable "monitor_schedules" {
  description = "Cron schedules (America/New_York) of the monitor function: after the night's results, before first pitch."
  type        = list(string)
  # one job, two runs: billed per job, not per run
  default = ["30 4,12 * * *"]
  validation {
    condition     = alltrue([for c in var.monitor_schedules : can(regex("^[0-9*,/-]+ [0-9*,/-]+ [0-9*,/-]+ [0-9*,/-]+ [0-9*,/-]+$", c))]) && length(distinct(var.monitor_schedules)) == length(var.monitor_schedules)
    error_message = "monitor_schedules is a list of distinct five-field cron expressions."
  }
}

variable "function_error_rate_max" {
  description = "Share of a function's requests answered 5xx over 5 minutes that alerts."
  type        = number
  default     = 0.05
  validation {
    condition     = var.function_error_rate_max > 0 && var.function_error_rate_max < 1
    error_message = "function_error_rate_max is a share strictly between 0 and 1."
  }
}

variable "propagation_wait_seconds" {
  description = "Seconds a fresh apply waits after enabling APIs, creating the Pub/Sub service agent and making grants that services check at create time (apis.tf)."
  type        = number
  default     = 60
  validation {
    condition     = var.propagation_wait_seconds >= 0 && var.propagation_wait_seconds <= 600 && floor(var.propagation_wait_seconds) == var.propagation_wait_seconds
    error_message = "propagation_wait_seconds is a whole number from 0 to 600."
  }
}

variable "log_metric_wait_seconds" {
  description = "Seconds the alert policies wait after their log-based metrics are created (Cloud Monitoring may answer 404 for up to ~10 minutes)."
  type        = number
  default     = 600
  validation {
    condition     = var.log_metric_wait_seconds >= 0 && var.log_metric_wait_seconds <= 1200 && floor(var.log_metric_wait_seconds) == var.log_metric_wait_seconds
    error_message = "log_metric_wait_seconds is a whole number from 0 to 1200."
  }
}
