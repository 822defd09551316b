"""Official Google Cloud clients configured from the one settings object.

Emulator hosts given in settings are exported to the variables the official clients read
(``PUBSUB_EMULATOR_HOST``, ``STORAGE_EMULATOR_HOST``), so the same code talks to Google or to
the local stack, and nothing else in the package needs to know which.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from strikeouts.settings import Settings

if TYPE_CHECKING:
    import google.cloud.storage as storage
    from google.cloud.pubsub_v1 import PublisherClient
    from google.cloud.pubsub_v1.types import BatchSettings


def export_emulator_hosts(settings: Settings) -> None:
    """Point the official clients at the emulators named in ``settings`` (if any)."""
    if settings.stack.pubsub_emulator_host:
        os.environ["PUBSUB_EMULATOR_HOST"] = settings.stack.pubsub_emulator_host
    if settings.stack.storage_emulator_host:
        os.environ["STORAGE_EMULATOR_HOST"] = settings.stack.storage_emulator_host


def storage_client(settings: Settings) -> storage.Client:
    """A Cloud Storage client (anonymous against an emulator)."""
    import google.cloud.storage as storage
    from google.auth.credentials import AnonymousCredentials

    export_emulator_hosts(settings)
    if os.environ.get("STORAGE_EMULATOR_HOST"):
        client = storage.Client(
            project=settings.stack.gcp_project, credentials=AnonymousCredentials()
        )
    else:
        client = storage.Client(project=settings.stack.gcp_project)
    skip_environment_per_request(client._http)
    return client


_CA_BUNDLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")
_NETRC_FILES = ("~/.netrc", "~/_netrc")


def skip_environment_per_request(session: Any) -> bool:
    """Stop a client's requests session re-reading the environment on every request.

    Before each request requests looks for proxies (walking every environment variable), a
    CA bundle variable and a netrc file; for the ensemble's Cloud Storage and BigQuery calls
    that was about a tenth of its CPU. Where the environment names no proxy and no netrc file
    exists, the CA bundle it names (if any) is read once into the session, which the clients'
    requests (they never pass ``verify``) then use exactly as before; otherwise the session is
    left as it is. Returns whether it was changed.
    """
    import urllib.request

    if not hasattr(session, "trust_env"):
        return False
    if urllib.request.getproxies() or os.environ.get("NETRC"):
        return False
    if any(os.path.exists(os.path.expanduser(path)) for path in _NETRC_FILES):
        return False
    bundle = next((os.environ[name] for name in _CA_BUNDLES if os.environ.get(name)), None)
    if bundle is not None and session.verify is True:
        session.verify = bundle
    session.trust_env = False
    return True


def publisher_client(settings: Settings, batch: BatchSettings) -> PublisherClient:
    """A Pub/Sub publisher client with ``batch`` settings."""
    from google.cloud.pubsub_v1 import PublisherClient

    export_emulator_hosts(settings)
    return PublisherClient(batch_settings=batch)


def parse_gcs_uri(uri: str, what: str) -> tuple[str, str]:
    """``gs://BUCKET/PREFIX`` → (bucket, prefix); ValueError naming the setting otherwise."""
    if not uri.startswith("gs://") or not uri[5:].split("/")[0]:
        raise ValueError(f"{what}={uri!r}: expected gs://BUCKET/PREFIX")
    bucket, _, prefix = uri[5:].partition("/")
    return bucket, prefix.strip("/")
