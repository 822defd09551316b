variable "project_id" {
  description = "Google Cloud project to bootstrap."
  type        = string
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id is a Google Cloud project id: 6-30 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "region" {
  description = "Region of the state bucket and the deployment (the trigger's _REGION)."
  type        = string
  default     = "us-central1"
  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]$", var.region))
    error_message = "region is a Google Cloud region such as us-central1."
  }
}

variable "environment" {
  description = "Environment the trigger deploys (the trigger's _ENV: infra/envs/<environment>.tfvars)."
  type        = string
  default     = "dev"
  validation {
    condition     = contains(["dev", "prod"], var.environment)
    error_message = "environment is dev or prod."
  }
}

variable "github_owner" {
  description = "Owner (user or organization) of the GitHub repository the trigger watches."
  type        = string
  validation {
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9-]{0,38}$", var.github_owner))
    error_message = "github_owner is a GitHub user or organization name."
  }
}

variable "github_repo" {
  description = "Name of the GitHub repository (connected to Cloud Build through the GitHub app)."
  type        = string
  validation {
    condition     = can(regex("^[A-Za-z0-9._-]{1,100}$", var.github_repo))
    error_message = "github_repo is a repository name (letters, digits, '.', '_' and '-')."
  }
}

variable "github_branch" {
  description = "Branch whose pushes deploy (matched exactly)."
  type        = string
  default     = "main"
  validation {
    condition     = can(regex("^[A-Za-z0-9._/-]+$", var.github_branch))
    error_message = "github_branch is a branch name."
  }
}

variable "state_bucket_name" {
  description = "Name of the Terraform state bucket; null: <project_id>-strikeouts-tfstate."
  type        = string
  default     = null
  validation {
    condition     = var.state_bucket_name == null || can(regex("^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$", var.state_bucket_name))
    error_message = "state_bucket_name is a valid bucket name (3-63 lowercase letters, digits, '.', '_', '-')."
  }
}

variable "kms_key_name" {
  description = "Optional CMEK of the state bucket and of infra/ (its var.kms_key_name); the deploy account may then grant it to the service agents. null: Google-managed keys."
  type        = string
  default     = null
  validation {
    condition     = var.kms_key_name == null || can(regex("^projects/[^/]+/locations/[^/]+/keyRings/[^/]+/cryptoKeys/[^/]+$", var.kms_key_name))
    error_message = "kms_key_name is projects/P/locations/L/keyRings/R/cryptoKeys/K, or null."
  }
}

variable "data_uri" {
  description = "gs://BUCKET/PATH of the raw data folder the build's tests and the seed step read (the trigger's _DATA_URI)."
  type        = string
  validation {
    condition     = can(regex("^gs://[a-z0-9][a-z0-9._-]{1,221}[a-z0-9](/.*)?$", var.data_uri))
    error_message = "data_uri must be gs://BUCKET[/PATH]."
  }
}
