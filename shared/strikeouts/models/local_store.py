"""Model store objects in a local directory.

Every write goes to a temporary file first, so a reader never sees a partial object:
create-only writes publish it with ``os.link`` (which fails when the name exists), and
compare-and-swap replaces it with ``os.replace`` under an exclusive ``flock``.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from strikeouts.models.refs import Blob


class LocalObjects:
    """Objects as files under ``root``; the swap token is the content's sha256."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.location = str(self.root)

    def uri(self, key: str) -> str:
        """The file path of ``key``."""
        return str(self.root / key)

    def read(self, key: str) -> Blob | None:
        """The file's bytes and content hash, or None when it does not exist."""
        try:
            data = (self.root / key).read_bytes()
        except FileNotFoundError:
            return None
        return Blob(data, hashlib.sha256(data).hexdigest())

    def create(self, key: str, data: bytes) -> bool:
        """Write ``key`` only if it does not exist; False when it already did."""
        path = self.root / key
        tmp = write_temp(path, data)
        try:
            os.link(tmp, path)
        except FileExistsError:
            return False
        finally:
            tmp.unlink(missing_ok=True)
        return True

    def swap(self, key: str, data: bytes, expected: str | None) -> bool:
        """Replace ``key`` if its content hash is still ``expected`` (None: must not exist)."""
        path = self.root / key
        with self._locked(path):
            current = self.read(key)
            if (current.token if current else None) != expected:
                return False
            os.replace(write_temp(path, data), path)
        return True

    def keys(self, prefix: str) -> list[str]:
        """Keys of the files under the root starting with ``prefix`` (temp and lock files hidden)."""
        if not self.root.is_dir():
            return []
        found = []
        for dirpath, _, filenames in os.walk(self.root):
            for name in filenames:
                if name.startswith("."):
                    continue
                key = (Path(dirpath) / name).relative_to(self.root).as_posix()
                if key.startswith(prefix):
                    found.append(key)
        return sorted(found)

    @staticmethod
    @contextmanager
    def _locked(path: Path) -> Iterator[None]:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path.with_name(f".{path.name}.lock"), "a") as lock:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock.fileno(), fcntl.LOCK_UN)


def write_temp(path: Path, data: bytes) -> Path:
    """``data`` in a new hidden file beside ``path``, synced, for the caller to publish under
    ``path`` (``os.link``, ``os.replace``); nothing is left behind when the write fails."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp
