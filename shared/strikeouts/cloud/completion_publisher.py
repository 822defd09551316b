"""The predictions-complete announcement on the functions' publisher.

Invariant: :meth:`CompletionPublisher.publish_completion` returns only once Pub/Sub holds
the message (it flushes), so the completion ledger confirms only what went out. It lives
apart from :mod:`strikeouts.cloud.pubsub` because it needs the services' publisher type,
and the services build that publisher from ``cloud.pubsub``: keeping it there made a cycle.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from strikeouts.names import PREDICTIONS_COMPLETE

if TYPE_CHECKING:
    from strikeouts.cloud.services import FlushingPublisher


class CompletionPublisher:
    """:class:`~strikeouts.pipeline.ports.CompletionPublisher` on a publisher that flushes:
    returns once Pub/Sub holds the message, so the ledger confirms only what went out."""

    def __init__(self, publisher: FlushingPublisher) -> None:
        self.publisher = publisher

    def publish_completion(self, message: Mapping[str, Any]) -> str:
        """Publish the predictions-complete message, its dedupe key as an attribute, and wait."""
        attributes = {
            "completion_id": str(message["completion_id"]),
            "run_id": str(message["run_id"]),
            "game_date": str(message["game_date"]),
        }
        self.publisher.publish(PREDICTIONS_COMPLETE, message, attributes)
        return self.publisher.flush()[-1]
