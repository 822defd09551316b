"""The record of a running local stack (``state_dir/stack.json``) and its Pub/Sub wiring.

Invariant: everything that starts, stops or rewires a stack's processes finds them here, by
process group (pid = pgid) and port, and the push subscriptions by one naming rule
(:func:`push_subscriptions`), the one ``up`` created them with.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from strikeouts.cloud.functions import SYSTEM_PREFIX
from strikeouts.devstack.emulators.process import HOST
from strikeouts.errors import StrikeoutsError
from strikeouts.settings import Settings

STACK_FILE = "stack.json"

# (function, topic setting) for every push subscription, as in infra/pubsub.tf (the system
# functions' are added from the registry: see routes())
ROUTES: tuple[tuple[str, str], ...] = (
    ("fanout", "game_schedule"),
    ("ensemble", "pitcher_games"),
    ("ensemble", "system_predictions"),
    ("ensemble_tick", "ensemble_ticks"),
)
# the game-day functions' routes, when `stack_up` started them (it got their sources)
GAMEDAY_ROUTES: tuple[tuple[str, str], ...] = (
    ("schedule", "gameday_schedule"),
    ("results", "gameday_results"),
)


class StackError(StrikeoutsError, RuntimeError):
    """The local stack could not be brought up, or is not up."""


@dataclass
class StackProcess:
    """One server of the stack."""

    name: str
    pid: int
    port: int
    log: str
    started_in: float
    source: str = ""
    """sha256 of the code a function process started from (cloud.packaging.source_hash)."""

    @property
    def alive(self) -> bool:
        try:
            os.killpg(self.pid, 0)
        except (ProcessLookupError, PermissionError):
            return False
        return True


@dataclass
class StackInfo:
    """What ``stack up`` started and where, as written to ``stack.json``."""

    project: str
    pubsub_host: str
    bigquery_endpoint: str
    storage_host: str
    dataset: str
    bucket: str
    feature_warehouse: str
    processes: dict[str, StackProcess] = field(default_factory=dict)
    started_at: str = ""
    function_env: dict[str, str] = field(default_factory=dict)
    """What ``up`` gave every function besides the stack's endpoints (e.g. a short alias TTL):
    a restarted function gets it too."""

    @property
    def warehouse(self) -> str:
        return f"bigquery://{self.project}/{self.dataset}"

    @property
    def scratch_dataset(self) -> str:
        """Where the functions' MERGEs load their rows (as ``<dataset>_scratch`` in the cloud)."""
        return f"{self.dataset}_scratch"

    @property
    def model_store(self) -> str:
        return f"gs://{self.bucket}/models"

    @property
    def aggregation_state(self) -> str:
        return f"gs://{self.bucket}/state"

    def function_port(self, name: str) -> int:
        return self.processes[name].port

    def settings(self, base: Settings | None = None) -> Settings:
        """Settings that point every adapter at this stack."""
        values = (base or Settings()).model_dump()
        values.update(
            warehouse=self.warehouse,
            model_store=self.model_store,
            aggregation_state=self.aggregation_state,
            feature_warehouse=self.feature_warehouse,
        )
        values["stack"].update(
            gcp_project=self.project,
            bigquery_endpoint=self.bigquery_endpoint,
            pubsub_emulator_host=self.pubsub_host,
            storage_emulator_host=self.storage_host,
        )
        return Settings(**values)

    def environment(self) -> dict[str, str]:
        """The environment of a function process on this stack."""
        return {
            "PUBSUB_EMULATOR_HOST": self.pubsub_host,
            "STORAGE_EMULATOR_HOST": self.storage_host,
            "STRIKEOUTS_GCP_PROJECT": self.project,
            "STRIKEOUTS_WAREHOUSE": self.warehouse,
            "STRIKEOUTS_BIGQUERY_ENDPOINT": self.bigquery_endpoint,
            "STRIKEOUTS_MODEL_STORE": self.model_store,
            "STRIKEOUTS_AGGREGATION_STATE": self.aggregation_state,
            "STRIKEOUTS_FEATURE_WAREHOUSE": self.feature_warehouse,
            "STRIKEOUTS_LOG_FORMAT": "json",
            # as deployed: `up` made the tables and views, the functions run no DDL
            "STRIKEOUTS_BIGQUERY_MANAGE_SCHEMA": "false",
            "STRIKEOUTS_BIGQUERY_SCRATCH_DATASET": self.scratch_dataset,
            **self.function_env,
        }

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2, sort_keys=True))
        tmp.replace(path)

    @classmethod
    def recorded(cls, settings: Settings) -> StackInfo:
        """The stack recorded under ``settings``' state directory (StackError if none)."""
        return cls.load(stack_file(settings))

    @classmethod
    def load(cls, path: Path) -> StackInfo:
        if not path.is_file():
            raise StackError(f"no local stack recorded in {path}: run `strikeouts stack up`")
        raw = json.loads(path.read_text())
        raw["processes"] = {k: StackProcess(**v) for k, v in raw["processes"].items()}
        return cls(**raw)


def stack_file(settings: Settings) -> Path:
    """Where the running stack is recorded."""
    return Path(settings.state_dir) / STACK_FILE


@dataclass(frozen=True)
class PushRoute:
    """One push subscription of the stack: its path, topic and the function's endpoint."""

    subscription: str
    topic: str
    endpoint: str


def routes(functions: Iterable[str]) -> tuple[tuple[str, str], ...]:
    """(function, topic setting) of every push subscription of ``functions``: each system
    function (``predict_<system_id>``, one per registered system) reads the pitcher-games."""
    names = list(functions)
    systems = tuple((n, "pitcher_games") for n in names if n.startswith(SYSTEM_PREFIX))
    found = (ROUTES[0], *systems, *ROUTES[1:], *GAMEDAY_ROUTES)
    return tuple(route for route in found if route[0] in names)


def push_subscriptions(info: StackInfo, settings: Settings) -> list[PushRoute]:
    """Every push subscription of the stack, named and addressed as ``up`` creates them: the
    routes of the functions it started (the registry's systems as ``up`` read it)."""
    found = []
    for function, attr in routes(info.processes):
        topic_id = getattr(settings.topics, attr)
        port = info.function_port(function)
        found.append(
            PushRoute(
                subscription=f"projects/{info.project}/subscriptions/{topic_id}--{function}",
                topic=f"projects/{info.project}/topics/{topic_id}",
                # the topic in the path lets functions-framework name the CloudEvent source
                endpoint=f"http://{HOST}:{port}/projects/{info.project}/topics/{topic_id}",
            )
        )
    return found
