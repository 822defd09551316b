# The one-time bootstrap of a project: the Terraform state bucket, the deploy service account
# with the roles infra/ needs, and the Cloud Build trigger that deploys as it. Applied once by
# a project owner, with local state (terraform.tfstate here, git-ignored; keep it safe or
# move it into the new bucket: see docs/DEPLOY.md).
terraform {
  required_version = ">= 1.5"
  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "6.2.0"
    }
  }
}

provider "google" {
  project = var.project_id
  region  = var.region
}
