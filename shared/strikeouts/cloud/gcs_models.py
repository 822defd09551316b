"""Model store objects in Cloud Storage: the model store's Cloud adapter.

Create-only writes use ``if_generation_match=0`` and replacements use the generation read
with the data, so the service itself refuses an overwrite of a version or a stale alias update
(HTTP 412), whatever the number of writers.
"""

from __future__ import annotations

import google.cloud.storage as storage
from google.api_core import exceptions

from strikeouts.models.refs import Blob, ModelStoreError

StorageClient = storage.Client

_TIMEOUT_SECONDS = 30.0


class GcsObjects:
    """Objects under ``gs://bucket/prefix``; the swap token is the object generation."""

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        client: storage.Client | None = None,
        timeout: float = _TIMEOUT_SECONDS,
    ) -> None:
        # storage.Client() honours STORAGE_EMULATOR_HOST (no credentials needed there).
        self.client = client or storage.Client()
        self.bucket = self.client.bucket(bucket)
        self.prefix = f"{prefix.strip('/')}/" if prefix.strip("/") else ""
        self.location = f"gs://{bucket}/{self.prefix}".rstrip("/")
        self.timeout = timeout

    def uri(self, key: str) -> str:
        """The ``gs://`` URI of ``key``."""
        return f"gs://{self.bucket.name}/{self.prefix}{key}"

    def read(self, key: str) -> Blob | None:
        """The object's bytes and generation, or None when it does not exist."""
        blob = self.bucket.blob(self.prefix + key)
        try:
            data = blob.download_as_bytes(timeout=self.timeout)
        except exceptions.NotFound:
            return None
        except exceptions.GoogleAPICallError as exc:
            raise ModelStoreError(f"{self.uri(key)}: read failed: {exc}") from exc
        return Blob(data, str(blob.generation))

    def create(self, key: str, data: bytes) -> bool:
        """Write ``key`` only if it does not exist; False when it already did."""
        return self._upload(key, data, generation=0)

    def swap(self, key: str, data: bytes, expected: str | None) -> bool:
        """Replace ``key`` if its generation is still ``expected`` (None: must not exist)."""
        return self._upload(key, data, generation=int(expected) if expected else 0)

    def keys(self, prefix: str) -> list[str]:
        """Keys of the objects starting with ``prefix``."""
        try:
            blobs = self.client.list_blobs(
                self.bucket, prefix=self.prefix + prefix, timeout=self.timeout
            )
            return sorted(blob.name[len(self.prefix) :] for blob in blobs)
        except exceptions.NotFound as exc:
            raise ModelStoreError(f"bucket gs://{self.bucket.name} not found") from exc
        except exceptions.GoogleAPICallError as exc:
            raise ModelStoreError(f"{self.uri(prefix)}: listing failed: {exc}") from exc

    def _upload(self, key: str, data: bytes, *, generation: int) -> bool:
        blob = self.bucket.blob(self.prefix + key)
        try:
            blob.upload_from_string(
                data,
                content_type="application/json"
                if key.endswith(".json")
                else "application/octet-stream",
                if_generation_match=generation,
                timeout=self.timeout,
            )
        except exceptions.PreconditionFailed:
            return False
        except exceptions.GoogleAPICallError as exc:
            raise ModelStoreError(f"{self.uri(key)}: write failed: {exc}") from exc
        return True
