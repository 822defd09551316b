"""A mutual-exclusion lease in Cloud Storage: one object, taken by generation preconditions.

Invariant: at most one holder at a time while the holder finishes within ``ttl``. Taking a
free lease is a create with ``if_generation_match=0``; taking an expired one replaces it with
``if_generation_match=<generation read>``, so of two contenders exactly one wins (HTTP 412
for the other). A holder that dies leaves the lease to expire after ``ttl``.
"""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from typing import TYPE_CHECKING, Protocol

from google.api_core import exceptions

from strikeouts.pipeline.errors import TransientError

if TYPE_CHECKING:
    import google.cloud.storage as storage

DEFAULT_TTL = dt.timedelta(minutes=5)
POLL_SECONDS = 0.2
_TIMEOUT_SECONDS = 10.0


class Lease(Protocol):
    """Something one process at a time may hold."""

    def acquire(self, wait: float) -> bool:
        """Take the lease, waiting up to ``wait`` seconds; False if it stayed taken."""
        ...

    def release(self) -> None:
        """Give the lease back (no-op when not held)."""
        ...


class GcsLease:
    """:class:`Lease` on ``gs://bucket/name``."""

    def __init__(
        self,
        client: storage.Client,
        bucket: str,
        name: str,
        ttl: dt.timedelta = DEFAULT_TTL,
    ) -> None:
        self.blob_name = name
        self.bucket = client.bucket(bucket)
        self.ttl = ttl
        self.owner = uuid.uuid4().hex
        self.generation: int | None = None

    @property
    def uri(self) -> str:
        return f"gs://{self.bucket.name}/{self.blob_name}"

    def acquire(self, wait: float) -> bool:
        deadline = time.monotonic() + max(wait, 0.0)
        while True:
            if self._try_take():
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(POLL_SECONDS)

    def release(self) -> None:
        if self.generation is None:
            return
        blob = self.bucket.blob(self.blob_name)
        try:
            blob.delete(if_generation_match=self.generation, timeout=_TIMEOUT_SECONDS)
        except (exceptions.NotFound, exceptions.PreconditionFailed):
            pass  # expired and taken over meanwhile: not ours to delete
        finally:
            self.generation = None

    def _try_take(self) -> bool:
        blob = self.bucket.blob(self.blob_name)
        try:
            current = blob.download_as_bytes(timeout=_TIMEOUT_SECONDS)
        except exceptions.NotFound:
            return self._write(0)
        except exceptions.GoogleAPICallError as exc:
            raise TransientError(f"reading lease {self.uri} failed: {exc}") from exc
        expires = dt.datetime.fromisoformat(json.loads(current)["expires_at"])
        if expires > dt.datetime.now(dt.UTC) or blob.generation is None:
            return False
        return self._write(int(blob.generation))

    def _write(self, generation: int) -> bool:
        blob = self.bucket.blob(self.blob_name)
        expires = dt.datetime.now(dt.UTC) + self.ttl
        body = json.dumps({"owner": self.owner, "expires_at": expires.isoformat()})
        try:
            blob.upload_from_string(
                body,
                content_type="application/json",
                if_generation_match=generation,
                timeout=_TIMEOUT_SECONDS,
            )
        except exceptions.PreconditionFailed:
            return False
        except exceptions.GoogleAPICallError as exc:
            raise TransientError(f"writing lease {self.uri} failed: {exc}") from exc
        self.generation = int(blob.generation) if blob.generation is not None else None
        return self.generation is not None
