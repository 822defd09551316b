# The cloud deployment of the event pipeline (issue 5): what `strikeouts stack up` stands in for.
# Apply from the repository root after `strikeouts package-functions` (see cloudbuild.yaml):
#   terraform -chdir=infra init && terraform -chdir=infra apply -var project_id=PROJECT
terraform {
  required_version = ">= 1.5"
  # state in a bucket (cloudbuild.yaml passes it); `terraform init -backend=false` to validate
  backend "gcs" {}
  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "~> 6.0"
    }
    archive = {
      source  = "hashicorp/archive"
      version = "~> 2.4"
    }
  }
}

provider "google" {
  project = var.project_id
  region  = var.region
}
