resource "google_pubsub_topic" "topic" {
  for_each = local.topics
  name     = each.value
}

data "google_project" "this" {}

locals {
  pubsub_agent = "serviceAccount:service-${data.google_project.this.number}@gcp-sa-pubsub.iam.gserviceaccount.com"
}

# Push subscriptions (not --trigger-topic): the ensemble consumes two topics, and a
# subscription we own carries the dead-letter and retry policies.
resource "google_pubsub_subscription" "push" {
  for_each = local.routes
  name     = each.key
  topic    = google_pubsub_topic.topic[each.value.topic].id

  ack_deadline_seconds = 60

  push_config {
    push_endpoint = google_cloudfunctions2_function.function[each.value.function].service_config[0].uri
    oidc_token {
      service_account_email = google_service_account.pusher.email
    }
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.topic["dead_letter"].id
    max_delivery_attempts = var.max_delivery_attempts
  }

  retry_policy {
    minimum_backoff = "5s"
    maximum_backoff = "300s"
  }

  expiration_policy {
    ttl = "" # never expires
  }
}

# Dead letters are kept for inspection (payload + attributes with the reason).
resource "google_pubsub_subscription" "dead_letter_inspect" {
  name                       = "dead-letter-inspect"
  topic                      = google_pubsub_topic.topic["dead_letter"].id
  message_retention_duration = "604800s"
  ack_deadline_seconds       = 60
}

# Pub/Sub's service agent forwards failed messages to the dead-letter topic and acks them
# on the source subscriptions.
resource "google_pubsub_topic_iam_member" "agent_dead_letter" {
  topic  = google_pubsub_topic.topic["dead_letter"].id
  role   = "roles/pubsub.publisher"
  member = local.pubsub_agent
}

resource "google_pubsub_subscription_iam_member" "agent_subscriber" {
  for_each     = local.routes
  subscription = google_pubsub_subscription.push[each.key].id
  role         = "roles/pubsub.subscriber"
  member       = local.pubsub_agent
}

# The push identity may mint OIDC tokens for the pusher account.
resource "google_service_account_iam_member" "agent_token_creator" {
  service_account_id = google_service_account.pusher.name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = local.pubsub_agent
}
