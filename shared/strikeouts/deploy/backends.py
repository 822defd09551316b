"""The two backends of ``deploy validate`` — the local stack and a Google Cloud project — as
:class:`~strikeouts.deploy.checks.Deployment` adapters over one set of checks.

Invariant: only this module knows where a backend keeps its facts; the stack's expectation of
sources is the current tree (what a fresh ``stack up`` would run), the cloud's is the map of
source objects Terraform uploaded (``terraform output -json``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from strikeouts.cloud.bigquery_warehouse import BigQueryWarehouse
from strikeouts.cloud.functions import function_folder
from strikeouts.deploy.checks import Columns, DeadLetters, Deployment
from strikeouts.deploy.expect import Expectation, TerraformOutputs
from strikeouts.deploy.inventory import CloudInventory, StackInventory
from strikeouts.devstack.packaging import FUNCTIONS_DIR, source_hash
from strikeouts.devstack.stack_info import StackInfo
from strikeouts.pipeline.config import PipelineConfig
from strikeouts.settings import Settings
from strikeouts.warehouse.base import Warehouse

BACKENDS = ("stack", "cloud")


@dataclass(frozen=True)
class Request:
    """What the command line asked for (None: take it from Terraform or PipelineConfig)."""

    date: dt.date
    systems: tuple[str, ...] | None = None
    ensemble: bool | None = None
    since: dt.datetime | None = None
    terraform: TerraformOutputs | None = None


def expectation(request: Request, **found: Any) -> Expectation:
    """The expectation: the command line first, then Terraform's outputs, then the config."""
    tf = request.terraform or TerraformOutputs()
    config = PipelineConfig()
    systems = request.systems or tf.expected_systems or tuple(config.expected_systems)
    ensemble = next(
        v for v in (request.ensemble, tf.write_ensemble, config.write_ensemble) if v is not None
    )
    return Expectation(
        date=request.date,
        systems=tuple(systems),
        ensemble=ensemble,
        ensemble_id=config.ensemble_system_id,
        since=request.since,
        **found,
    )


def cloud_settings(base: Settings, tf: TerraformOutputs | None) -> Settings:
    """``base`` pointed at the project Terraform deployed (warehouse, project, model store)."""
    if tf is None or tf.warehouse is None:
        return base
    project = tf.warehouse.removeprefix("bigquery://").split("/")[0]
    stack = base.stack.model_copy(update={"gcp_project": project})
    update: dict[str, Any] = {"warehouse": tf.warehouse, "stack": stack}
    if tf.models_bucket:
        update["model_store"] = f"gs://{tf.models_bucket}/models"
    return base.model_copy(update=update)


def check_backend(backend: str) -> None:
    """ValueError naming ``--backend`` unless it is one of :data:`BACKENDS`."""
    if backend not in BACKENDS:
        raise ValueError(f"--backend={backend!r} must be one of {', '.join(BACKENDS)}")


def target_settings(backend: str, settings: Settings, tf: TerraformOutputs | None) -> Settings:
    """The settings that reach ``backend``: the recorded local stack, or the project."""
    check_backend(backend)
    if backend == "stack":
        return StackInfo.recorded(settings).settings(settings)
    return cloud_settings(settings, tf)


def bigquery_columns(warehouse: Warehouse) -> Columns:
    """A table's fields as the BigQuery API reports them (None when the table is missing)."""
    if not isinstance(warehouse, BigQueryWarehouse):
        raise ValueError(f"deploy validate needs a BigQuery warehouse, not {warehouse.name}")

    def columns(table: str) -> list[dict[str, Any]] | None:
        from google.api_core.exceptions import NotFound

        try:
            found = warehouse.client.get_table(warehouse.table_id(table), timeout=30)
        except NotFound:
            return None
        return [f.to_api_repr() for f in found.schema]

    return columns


def dead_letter_reader(warehouse: Warehouse, settings: Settings) -> DeadLetters:
    """Dead letters since a time, from the dead_letters table (fed in the cloud by the
    dead-letter topic's BigQuery subscription; it keeps redriven ones) and from a peek of the
    inspection subscription (the only source on the stack); whichever saw more."""
    from strikeouts.cloud.dead_letters import PubSubDeadLetters
    from strikeouts.pipeline.dead_letters import DeadLetterFilter

    def since(when: dt.datetime) -> list[str]:
        table = warehouse.query(
            "SELECT subscription_name, message_id FROM dead_letters WHERE publish_time >= @since",
            {"since": when},
        )
        stored = [f"{r.subscription_name} {r.message_id}" for r in table.itertuples()]
        pending = PubSubDeadLetters(settings).pending(DeadLetterFilter(since=when))
        peeked = [f"{r.handler or '?'} on {r.topic}: {r.reason[:80]}" for r in pending]
        return stored if len(stored) >= len(peeked) else peeked

    return since


def stack_deployment(settings: Settings, request: Request) -> Deployment:
    """The local stack recorded under ``settings.state_dir``."""
    from strikeouts.adapters import open_warehouse

    info = StackInfo.recorded(settings)
    inventory = StackInventory(info)
    recorded = tuple(inventory.functions())
    expect = expectation(request, extra_functions=recorded)
    sources = {
        f: source_hash(f) for f in expect.functions if (FUNCTIONS_DIR / function_folder(f)).is_dir()
    }
    stack = info.settings(settings)
    warehouse = open_warehouse(stack)
    return Deployment(
        inventory,
        warehouse,
        bigquery_columns(warehouse),
        dead_letter_reader(warehouse, stack),
        replace(expect, sources=sources),
    )


def cloud_deployment(
    settings: Settings,
    request: Request,
    region: str,
    session: Any = None,
) -> Deployment:
    """The Google Cloud project of the settings (or of ``terraform output``)."""
    from strikeouts.adapters import open_warehouse

    tf = request.terraform or TerraformOutputs()
    cloud = cloud_settings(settings, request.terraform)
    inventory = CloudInventory(cloud.stack.gcp_project, region, tf.function_names, session)
    expect = expectation(
        request, extra_functions=tuple(tf.function_names), sources=tf.function_source_objects
    )
    warehouse = open_warehouse(cloud)
    return Deployment(
        inventory,
        warehouse,
        bigquery_columns(warehouse),
        dead_letter_reader(warehouse, cloud),
        expect,
    )


def read_terraform(path: Path | None) -> TerraformOutputs | None:
    """The outputs file when given."""
    return None if path is None else TerraformOutputs.read(path)
