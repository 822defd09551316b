"""Aggregation state on Cloud Storage: one JSON object per pitcher-game, changed by generation.

Invariants (the :class:`~strikeouts.pipeline.ports.AggregationStateStore` contract):

- the version of a state is its object's generation; a create is ``if_generation_match=0``
  and an update ``if_generation_match=<version read>``, so a stale or concurrent write gets
  HTTP 412 and raises StateConflict (``pipeline.state.update`` re-reads and retries);
- deadline / finalized / written are mirrored in the object's custom metadata, so
  :meth:`GcsStateStore.due` lists overdue pitcher-games without downloading any state;
- with those preconditions the ensemble finalizes each pitcher-game exactly once, however
  many instances handle its messages at the same time;
- the run's game date and size (the header's ``run_pitcher_games``) are mirrored there too,
  so :meth:`GcsStateStore.marks` tells complete runs apart with one listing;
- a finished state (finalized and written) last changed more than ``retention`` ago is
  deleted by the listing that finds it (a delete costs nothing, a listing one operation per
  thousand objects), with its generation as precondition so a state changed meanwhile stays:
  the tick's listing holds about a day of pitcher-games, not a season's.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from google.api_core import exceptions

from strikeouts.logs import get_logger
from strikeouts.pipeline.clock import from_iso, to_iso
from strikeouts.pipeline.errors import StateConflict, TransientError
from strikeouts.pipeline.messages import PitcherGameKey
from strikeouts.pipeline.ports import StateMark, Versioned

if TYPE_CHECKING:
    import google.cloud.storage as storage

DEFAULT_PREFIX = "aggregation-state"
_TIMEOUT_SECONDS = 30.0
log = get_logger(__name__)
# late results arrive within hours of the game; a replay of a day keeps its states meanwhile
DEFAULT_RETENTION = timedelta(hours=24)
# the tick lists once: its completion sweep reuses the listing its ``due`` made
MARKS_REUSE_SECONDS = 30.0


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _marked(blob: storage.Blob) -> bool:
    # states saved before marks were kept (and the delivery counters) carry no game date
    return "game_date" in (blob.metadata or {})


def _mark(key: PitcherGameKey, meta: Mapping[str, str]) -> tuple[PitcherGameKey, StateMark]:
    size = meta.get("run_size")
    mark = StateMark(key, meta["game_date"], int(size) if size else None, meta["written"] == "true")
    return key, mark


def _run_metadata(state: Mapping[str, Any]) -> dict[str, str]:
    """The run date and run size of a state, for :meth:`GcsStateStore.marks`."""
    header = state.get("header") or {}
    size = header.get("run_pitcher_games")
    meta = {"game_date": str(header["game_date"])} if "game_date" in header else {}
    return meta if size is None else {**meta, "run_size": str(size)}


class GcsStateStore:
    """:class:`AggregationStateStore` on ``gs://bucket/prefix/RUN/GAME/PITCHER.json``."""

    def __init__(
        self,
        client: storage.Client,
        bucket: str,
        prefix: str = DEFAULT_PREFIX,
        timeout: float = _TIMEOUT_SECONDS,
        retention: timedelta = DEFAULT_RETENTION,
    ) -> None:
        self.client = client
        self.retention = retention
        self.bucket = client.bucket(bucket)
        self.prefix = prefix.strip("/")
        self.timeout = timeout
        # the marks of the last listing, kept up to date with this instance's own saves
        self._marks: dict[PitcherGameKey, StateMark] = {}
        self._listed_at: float | None = None

    def object_name(self, key: PitcherGameKey) -> str:
        """The object holding ``key``'s state."""
        return f"{self.prefix}/{key.run_id}/{key.game_id}/{key.pitcher_id}.json"

    def key_of(self, name: str) -> PitcherGameKey:
        """Inverse of :meth:`object_name`."""
        run_id, game_id, leaf = name[len(self.prefix) + 1 :].rsplit("/", 2)
        return PitcherGameKey(run_id, game_id, int(leaf.removesuffix(".json")))

    def load(self, key: PitcherGameKey) -> Versioned | None:
        blob = self.bucket.blob(self.object_name(key))
        try:
            data = blob.download_as_bytes(timeout=self.timeout)
        except exceptions.NotFound:
            return None
        except exceptions.GoogleAPICallError as exc:
            raise TransientError(f"reading {self._uri(key)} failed: {exc}") from exc
        if blob.generation is None:
            raise TransientError(f"{self._uri(key)}: the download carried no generation")
        return Versioned(int(blob.generation), json.loads(data))

    def save(
        self,
        key: PitcherGameKey,
        state: Mapping[str, Any],
        *,
        expected_version: int | None,
        deadline: datetime,
        finalized: bool,
        written: bool,
        now: datetime,
    ) -> int:
        blob = self.bucket.blob(self.object_name(key))
        blob.metadata = {
            "deadline": to_iso(deadline),
            "finalized": _flag(finalized),
            "written": _flag(written),
            "updated_at": to_iso(now),
            **_run_metadata(state),
        }
        data = json.dumps(state, sort_keys=True, allow_nan=False).encode()
        try:
            blob.upload_from_string(
                data,
                content_type="application/json",
                if_generation_match=0 if expected_version is None else expected_version,
                timeout=self.timeout,
            )
        except exceptions.PreconditionFailed:
            what = "already exists" if expected_version is None else "changed"
            raise StateConflict(f"{self._uri(key)} {what} (HTTP 412)") from None
        except exceptions.GoogleAPICallError as exc:
            raise TransientError(f"writing {self._uri(key)} failed: {exc}") from exc
        if blob.generation is None:
            raise TransientError(f"{self._uri(key)}: the upload returned no generation")
        if "game_date" in blob.metadata:
            self._marks[key] = StateMark.of(key, state, written)
        return int(blob.generation)

    def due(self, now: datetime) -> list[PitcherGameKey]:
        out = []
        for blob in self._list():
            meta = blob.metadata or {}
            finalized = meta.get("finalized") == "true"
            written = meta.get("written") == "true"
            overdue = "deadline" in meta and from_iso(meta["deadline"]) <= now
            if (not finalized and overdue) or (finalized and not written):
                out.append(self.key_of(blob.name))
            elif finalized and written and self._expired(meta, now):
                self._delete(blob)
        return sorted(out)

    def _list(self) -> list[storage.Blob]:
        """Every object under the prefix; their marks are kept for :meth:`marks`."""
        try:
            blobs = list(
                self.client.list_blobs(self.bucket, prefix=f"{self.prefix}/", timeout=self.timeout)
            )
        except exceptions.GoogleAPICallError as exc:
            raise TransientError(
                f"listing gs://{self.bucket.name}/{self.prefix} failed: {exc}"
            ) from exc
        self._marks = dict(_mark(self.key_of(b.name), b.metadata) for b in blobs if _marked(b))
        self._listed_at = time.monotonic()
        return blobs

    def _expired(self, meta: Mapping[str, str], now: datetime) -> bool:
        changed = meta.get("updated_at")
        return changed is not None and from_iso(changed) <= now - self.retention

    def _delete(self, blob: storage.Blob) -> None:
        """Delete a finished state unless it changed since listed (best effort: the next
        listing tries again)."""
        try:
            blob.delete(if_generation_match=blob.generation, timeout=self.timeout)
            self._marks.pop(self.key_of(blob.name), None)
        except (exceptions.NotFound, exceptions.PreconditionFailed):
            pass
        except exceptions.GoogleAPICallError as exc:
            log.warning("finished state not deleted", object=blob.name, error=str(exc))

    def marks(self) -> list[StateMark]:
        """The completion mark of every state, from the objects' metadata: those of a listing
        younger than ``MARKS_REUSE_SECONDS`` (the tick's ``due`` just made one) with this
        instance's saves since applied, else a new listing. Another instance's save since is
        seen by the next tick's listing."""
        fresh = self._listed_at is not None and (
            time.monotonic() - self._listed_at < MARKS_REUSE_SECONDS
        )
        if not fresh:
            self._list()
        return list(self._marks.values())

    def versions(self) -> dict[PitcherGameKey, int]:
        """Every stored key with its generation (for inspection and tests)."""
        blobs = self.client.list_blobs(self.bucket, prefix=f"{self.prefix}/", timeout=self.timeout)
        return {self.key_of(b.name): int(b.generation) for b in blobs}

    def _uri(self, key: PitcherGameKey) -> str:
        return f"gs://{self.bucket.name}/{self.object_name(key)}"
