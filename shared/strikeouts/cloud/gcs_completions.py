"""The completion ledger on Cloud Storage: one object per announced run date.

``gs://BUCKET/completions/RUN_ID/GAME_DATE.json`` holds the predictions-complete message; its
metadata says whether it was published. Invariants: a claim is a create with
``if_generation_match=0``, so of two ticks that both see a run complete exactly one claims it
(the other gets HTTP 412); the objects live beside the aggregation state's prefix, not under
it, so the state's retention (which deletes finished states after a day) never deletes them
and a replay days later still finds its run announced. The bucket's 90-day lifecycle rule is
the ledger's horizon: a replay of a run older than that is announced again.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from google.api_core import exceptions

from strikeouts.pipeline.clock import from_iso, to_iso
from strikeouts.pipeline.errors import TransientError
from strikeouts.pipeline.ports import CompletionRecord

if TYPE_CHECKING:
    import google.cloud.storage as storage

DEFAULT_PREFIX = "completions"
_TIMEOUT_SECONDS = 30.0


class GcsCompletionLedger:
    """:class:`~strikeouts.pipeline.ports.CompletionLedger` on a Cloud Storage prefix."""

    def __init__(
        self,
        client: storage.Client,
        bucket: str,
        prefix: str = DEFAULT_PREFIX,
        timeout: float = _TIMEOUT_SECONDS,
    ) -> None:
        self.bucket = client.bucket(bucket)
        self.prefix = prefix.strip("/")
        self.timeout = timeout

    def object_name(self, completion_id: str) -> str:
        """The object of ``completion_id`` (``RUN_ID/GAME_DATE``)."""
        return f"{self.prefix}/{completion_id}.json"

    def record(self, completion_id: str) -> CompletionRecord | None:
        name = self.object_name(completion_id)
        try:
            blob = self.bucket.get_blob(name, timeout=self.timeout)
        except exceptions.GoogleAPICallError as exc:
            raise TransientError(f"reading gs://{self.bucket.name}/{name} failed: {exc}") from exc
        if blob is None:
            return None
        meta = blob.metadata or {}
        claimed = meta.get("claimed_at")
        at = from_iso(claimed) if claimed else blob.time_created
        if at is None:
            raise TransientError(f"gs://{self.bucket.name}/{name} carries no creation time")
        return CompletionRecord(meta.get("published") == "true", at)

    def claim(self, message: Mapping[str, Any], now: datetime) -> bool:
        blob = self.bucket.blob(self.object_name(str(message["completion_id"])))
        blob.metadata = {"published": "false", "claimed_at": to_iso(now)}
        data = json.dumps(message, sort_keys=True).encode()
        try:
            blob.upload_from_string(
                data, content_type="application/json", if_generation_match=0, timeout=self.timeout
            )
        except exceptions.PreconditionFailed:
            return False
        except exceptions.GoogleAPICallError as exc:
            raise TransientError(f"claiming {blob.name} failed: {exc}") from exc
        return True

    def confirm(self, message: Mapping[str, Any], now: datetime) -> None:
        blob = self.bucket.blob(self.object_name(str(message["completion_id"])))
        blob.metadata = {"published": "true", "published_at": to_iso(now)}
        try:
            blob.patch(timeout=self.timeout)
        except exceptions.GoogleAPICallError as exc:
            raise TransientError(f"confirming {blob.name} failed: {exc}") from exc
