# The cloud deployment of the event pipeline: what `strikeouts stack up` stands in for.
# One state per environment (envs/<env>.backend.hcl), applied with a saved plan:
#   terraform -chdir=infra init -backend-config=envs/prod.backend.hcl
#   terraform -chdir=infra plan -var-file=envs/prod.tfvars -out=prod.tfplan
#   terraform -chdir=infra apply prod.tfplan
# Providers are pinned exactly; .terraform.lock.hcl (committed) holds their checksums.
# Refresh both after a version change: terraform providers lock -platform=linux_amd64 -platform=darwin_arm64
terraform {
  required_version = ">= 1.9" # a variable validation reads local.registered_systems
  # bucket and prefix come from envs/<env>.backend.hcl (`init -backend=false` to validate)
  backend "gcs" {}
  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "6.2.0"
    }
    # only for google_project_service_identity (apis.tf), which the GA provider lacks
    google-beta = {
      source  = "hashicorp/google-beta"
      version = "6.2.0"
    }
    archive = {
      source  = "hashicorp/archive"
      version = "2.4.2"
    }
  }
}

provider "google" {
  project = var.project_id
  region  = var.region
}

provider "google-beta" {
  project = var.project_id
  region  = var.region
}
