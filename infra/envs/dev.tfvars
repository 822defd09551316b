# dev: terraform -chdir=infra init -backend-config=envs/dev.backend.hcl
#      terraform -chdir=infra plan -var-file=envs/dev.tfvars -var=project_id=PROJECT -out=dev.tfplan
environment = "dev"
region      = "us-central1"
dataset     = "strikeouts"

# The rollout phase: exactly one of these lines is active (docs/DEPLOY.md, phase runbook).
systems = { deployed = ["v1_baseline"], expected = ["v1_baseline"], ensemble = false } # phase 1 (and rollback)
# systems = { deployed = ["v1_baseline", "v1_6_rolling"], expected = ["v1_baseline", "v1_6_rolling"], ensemble = false } # phase 2
# systems = { deployed = ["v1_baseline", "v1_6_rolling"], expected = ["v1_baseline", "v1_6_rolling"], ensemble = true }  # phase 3

function_max_instances = 5
