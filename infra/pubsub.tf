resource "google_pubsub_topic" "topic" {
  for_each     = local.topics
  name         = each.value
  kms_key_name = var.kms_key_name
  depends_on   = [terraform_data.apis_settle, google_kms_crypto_key_iam_member.cmek]
}

# Push subscriptions (not --trigger-topic): the ensemble consumes two topics, and a
# subscription we own carries the dead-letter and retry policies.
resource "google_pubsub_subscription" "push" {
  for_each = local.routes
  name     = each.key
  topic    = google_pubsub_topic.topic[each.value.topic].id

  # Pub/Sub redelivers a push not answered within the ack deadline, even while the function
  # is still working on it: the deadline (600 s, Pub/Sub's maximum) must exceed the function
  # timeout (120 s), so a delivery is retried only after it failed or timed out.
  ack_deadline_seconds = 600

  push_config {
    # the path carries the topic: the functions read it from the CloudEvent source
    # (strikeouts.cloud.entry._topic_of), so rejected_messages.topic is filled in the cloud too
    push_endpoint = "${google_cloudfunctions2_function.function[each.value.function].service_config[0].uri}/projects/${var.project_id}/topics/${local.topics[each.value.topic]}"
    oidc_token {
      service_account_email = google_service_account.pusher.email
      # the token names the service, not the path: Cloud Run checks aud against its URL
      audience = google_cloudfunctions2_function.function[each.value.function].service_config[0].uri
    }
  }

  # A tick is never dead-lettered: the tick function serves one request at a time and a
  # push it refuses while busy counts as a delivery attempt, but a tick carries no data (the
  # next one does the same work), so it only expires: kept 10 minutes (Pub/Sub's least).
  dynamic "dead_letter_policy" {
    for_each = each.value.topic == "ensemble_ticks" ? [] : [1]
    content {
      dead_letter_topic     = google_pubsub_topic.topic["dead_letter"].id
      max_delivery_attempts = var.max_delivery_attempts
    }
  }
  message_retention_duration = each.value.topic == "ensemble_ticks" ? "600s" : "604800s"

  retry_policy {
    minimum_backoff = "5s"
    maximum_backoff = "300s"
  }

  expiration_policy {
    ttl = "" # never expires
  }

  # the agent's dead-letter and token grants are checked when the subscription is created
  depends_on = [terraform_data.grants_settle]
}

# Dead letters are kept for inspection (payload + attributes with the reason): the
# subscription never expires however long nobody reads it, and keeps messages as long as
# Pub/Sub allows (the dead_letters table keeps a copy for good).
resource "google_pubsub_subscription" "dead_letter_inspect" {
  name                       = "dead-letter-inspect"
  topic                      = google_pubsub_topic.topic["dead_letter"].id
  message_retention_duration = "${var.dead_letter_retention_days * 86400}s"
  retain_acked_messages      = true
  ack_deadline_seconds       = 60

  expiration_policy {
    ttl = "" # never expires
  }
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

# Push with OIDC: the Pub/Sub service agent mints identity tokens for the pusher account,
# on that account only (not project-wide).
resource "google_service_account_iam_member" "agent_token_creator" {
  service_account_id = google_service_account.pusher.name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = local.pubsub_agent
}

# The completion announcements (one per run and game date, key completion_id) kept a week for
# operators to read; consumers create their own subscriptions on the topic.
resource "google_pubsub_subscription" "predictions_complete_inspect" {
  name                       = "predictions-complete-inspect"
  topic                      = google_pubsub_topic.topic["predictions_complete"].id
  message_retention_duration = "604800s"
  ack_deadline_seconds       = 60

  expiration_policy {
    ttl = "" # never expires
  }
}
