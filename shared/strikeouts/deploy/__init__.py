"""Deploy operations: validate a deployment (local stack or Google Cloud project) with named
checks, snapshot and roll back what a deploy changes, seed a fresh project, send a canary."""
