# terraform -chdir=infra init -backend-config=envs/prod.backend.hcl [-backend-config=bucket=OTHER]
# bucket: output state_bucket of infra/bootstrap (PROJECT-strikeouts-tfstate by default)
bucket = "REPLACE_WITH_STATE_BUCKET"
prefix = "strikeouts/prod"
