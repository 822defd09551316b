"""Which functions a backend runs, whether each is ready, and what source it runs.

Invariant: one shape (:class:`FunctionState` per function key, e.g. ``predict_v1_baseline``)
whatever the backend; only these adapters know where the facts come from: the local stack's
record (process alive and answering on its port, the source hash recorded at start) or the
Cloud Functions v2 API (state ACTIVE, the build's storage source object).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from strikeouts.cloud.functions import system_of
from strikeouts.devstack.emulators.process import HOST
from strikeouts.devstack.packaging import deployed_functions
from strikeouts.devstack.stack_info import StackInfo

FUNCTIONS_API = "https://cloudfunctions.googleapis.com/v2"
PROBE_TIMEOUT_SECONDS = 2.0


@dataclass(frozen=True)
class FunctionState:
    """One deployed function as the backend reports it."""

    name: str
    ready: bool
    detail: str
    source: str | None = None
    updated: dt.datetime | None = None


class Inventory(Protocol):
    """The functions of a deployment, keyed by function key."""

    def functions(self) -> dict[str, FunctionState]:
        """Every function found (ready or not)."""
        ...

    def deploy_time(self) -> dt.datetime | None:
        """When the deployment last changed (dead letters count from then)."""
        ...


Probe = Callable[[int], str | None]


def http_probe(port: int) -> str | None:
    """None when something answers HTTP on ``port`` (any status), else why not."""
    try:
        httpx.get(f"http://{HOST}:{port}/", timeout=PROBE_TIMEOUT_SECONDS)
    except httpx.HTTPError as exc:
        return f"no answer on port {port} ({type(exc).__name__})"
    return None


class StackInventory:
    """The function processes ``stack up`` recorded in ``stack.json``."""

    def __init__(self, info: StackInfo, probe: Probe = http_probe) -> None:
        self.info = info
        self.probe = probe

    def functions(self) -> dict[str, FunctionState]:
        found = {}
        for name, proc in self.info.processes.items():
            if name not in deployed_functions() and system_of(name) is None:
                continue  # emulators and the ticker are not functions
            if not proc.alive:
                found[name] = FunctionState(
                    name, False, f"pid {proc.pid} is not running", proc.source or None
                )
                continue
            problem = self.probe(proc.port)
            detail = problem or f"pid {proc.pid} answers on port {proc.port}"
            found[name] = FunctionState(name, problem is None, detail, proc.source or None)
        return found

    def deploy_time(self) -> dt.datetime | None:
        return dt.datetime.fromisoformat(self.info.started_at) if self.info.started_at else None


class CloudInventory:
    """Cloud Functions (2nd gen) of one project and region, read through the REST API."""

    def __init__(
        self,
        project: str,
        region: str,
        names: Mapping[str, str] | None = None,
        session: Any = None,
    ) -> None:
        self.parent = f"projects/{project}/locations/{region}"
        # deployed name → function key (terraform: predict_v1_baseline → predict-v1-baseline)
        self.keys = {v: k for k, v in (names or {}).items()}
        self._session = session
        self._found: dict[str, FunctionState] | None = None

    @property
    def session(self) -> Any:
        """An authorized HTTP session (application default credentials)."""
        if self._session is None:
            import google.auth
            from google.auth.transport.requests import AuthorizedSession

            credentials, _ = google.auth.default(
                scopes=["https://www.googleapis.com/auth/cloud-platform"]
            )
            self._session = AuthorizedSession(credentials)
        return self._session

    def functions(self) -> dict[str, FunctionState]:
        if self._found is None:
            self._found = {}
            for raw in self._list():
                state = function_state(raw, self.keys)
                self._found[state.name] = state
        return self._found

    def deploy_time(self) -> dt.datetime | None:
        times = [f.updated for f in self.functions().values() if f.updated is not None]
        return max(times, default=None)

    def _list(self) -> list[dict[str, Any]]:
        listed: list[dict[str, Any]] = []
        token = ""
        while True:
            params = {"pageSize": "200", **({"pageToken": token} if token else {})}
            response = self.session.get(
                f"{FUNCTIONS_API}/{self.parent}/functions", params=params, timeout=30
            )
            if response.status_code != 200:
                raise RuntimeError(
                    f"Cloud Functions API {self.parent}: HTTP {response.status_code} "
                    f"{response.text[:200]}"
                )
            body = response.json()
            listed.extend(body.get("functions", []))
            token = body.get("nextPageToken", "")
            if not token:
                return listed


def function_state(raw: Mapping[str, Any], keys: Mapping[str, str]) -> FunctionState:
    """A Cloud Functions v2 ``Function`` resource as a :class:`FunctionState`."""
    deployed = str(raw.get("name", "")).rsplit("/", 1)[-1]
    key = keys.get(deployed, deployed.replace("-", "_"))
    state = str(raw.get("state", "STATE_UNSPECIFIED"))
    source = raw.get("buildConfig", {}).get("source", {}).get("storageSource", {}).get("object")
    updated = raw.get("updateTime")
    messages = "; ".join(m.get("message", "") for m in raw.get("stateMessages", []))
    detail = f"{deployed} {state}" + (f": {messages}" if messages else "")
    return FunctionState(
        key,
        state == "ACTIVE",
        detail,
        source,
        dt.datetime.fromisoformat(updated.replace("Z", "+00:00")) if updated else None,
    )
