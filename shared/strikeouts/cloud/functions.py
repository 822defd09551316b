"""The event Cloud Functions as Entry objects: what each builds once per instance and handles.

``functions/<folder>/main.py`` only wraps one of these in ``@functions_framework.cloud_event``.
Invariant: the system functions follow the registry (``models.systems``): one function
``predict_<system_id>`` per registered system, all deployed from the one folder
``functions/predict_system`` whose entry serves the system its settings name
(``STRIKEOUTS_SYSTEM_ID``, set per function by Terraform and by the local stack).
Handlers are the pipeline's own (fanout, system, ensemble); the adapters come from settings:
Pub/Sub publisher, BigQuery sinks (predictions staged, merged by the tick: see
``cloud.staging``), GCS model store and aggregation state, and the feature
warehouse fanout reads (a DuckDB file is opened read-only, so many instances can share it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache, cached_property
from typing import TYPE_CHECKING, Any, cast

from strikeouts.cloud.entry import Entry, Outcome, Services, instance_services
from strikeouts.logs import get_logger
from strikeouts.models.systems import get_system, system_ids
from strikeouts.pipeline.delivery import Handler
from strikeouts.pipeline.messages import Payload, parse_json
from strikeouts.settings import Settings, get_settings

if TYPE_CHECKING:
    from cloudevents.http import CloudEvent

    from strikeouts.cloud.bigquery_warehouse import BigQueryWarehouse
    from strikeouts.models.store import ObjectModelStore
    from strikeouts.pipeline.completion import RunCompletions
    from strikeouts.pipeline.handlers import EnsembleHandler
    from strikeouts.pipeline.ports import PredictionSink
    from strikeouts.warehouse.base import Warehouse

SYSTEM_PREFIX = "predict_"
# the one folder (and entry point) every system function is deployed from
SYSTEM_FOLDER = "predict_system"
# HTTP functions answering people, not Pub/Sub (strikeouts.cloud.predict_http)
HTTP_FUNCTIONS = ("predict", "monitor")
# the line each completed tick logs (infra/monitoring.tf counts the tick's runs from the logs)
TICK_LOG = "ensemble tick"
# a tick finding another merge in progress leaves the rows to it (or to the next tick)
TICK_MERGE_WAIT_SECONDS = 5.0

log = get_logger(__name__)


def system_function(system_id: str) -> str:
    """The function key of a system: ``predict_<system_id>``."""
    return f"{SYSTEM_PREFIX}{system_id}"


def system_functions() -> dict[str, str]:
    """Function key -> system id, one per registered system."""
    return {system_function(s): s for s in system_ids()}


def function_names() -> tuple[str, ...]:
    """The event functions: fanout, one per registered system, the ensemble and its tick."""
    return ("fanout", *system_functions(), "ensemble", "ensemble_tick")


def system_of(name: str) -> str | None:
    """The system id of function key ``predict_<system_id>``, None for any other function."""
    if name.startswith(SYSTEM_PREFIX) and name != SYSTEM_FOLDER:
        return name.removeprefix(SYSTEM_PREFIX)
    return None


def function_folder(name: str) -> str:
    """The ``functions/`` folder (and entry point) function ``name`` is deployed from."""
    return name if system_of(name) is None else SYSTEM_FOLDER


def function_environment(name: str) -> dict[str, str]:
    """What function ``name`` needs in its environment besides the shared settings: a system
    function the id of its system."""
    system_id = system_of(name)
    return {} if system_id is None else {"STRIKEOUTS_SYSTEM_ID": system_id}


def open_feature_warehouse(settings: Settings) -> Warehouse:
    """The warehouse fanout reads history and schedules from."""
    # imported here: strikeouts.adapters imports the model store (and pandas), which the
    # ensemble's and the tick's instances never need
    from strikeouts.adapters import BIGQUERY_PREFIX

    target = settings.feature_warehouse or settings.warehouse
    if target.startswith(BIGQUERY_PREFIX):
        from strikeouts.adapters import open_warehouse

        return open_warehouse(settings.model_copy(update={"warehouse": target}))
    from strikeouts.warehouse.duckdb_backend import ReadOnlyDuckDBWarehouse

    return ReadOnlyDuckDBWarehouse(target)


def open_function_model_store(settings: Settings) -> ObjectModelStore:
    """The model store, on Cloud Storage through the settings' client when ``gs://``."""
    from strikeouts.adapters import open_model_store
    from strikeouts.models.store import GCS_PREFIX

    if settings.model_store.startswith(GCS_PREFIX):
        from strikeouts.cloud.clients import storage_client

        return open_model_store(settings, client=storage_client(settings))
    return open_model_store(settings)


def build_fanout(services: Services) -> Handler:
    """fanout over the feature warehouse, publishing pitcher-games."""
    from strikeouts.pipeline.handlers import Fanout
    from strikeouts.runtime.features import WarehouseFeatureSource

    features = WarehouseFeatureSource(open_feature_warehouse(services.settings))
    return Fanout(features, services.publisher, services.config)


def system_builder(system_id: str) -> Any:
    """The builder of one system function: its champion, and its challenger in shadow, each
    following its alias (re-resolved once the store's alias TTL has passed)."""

    def build(services: Services) -> Handler:
        from strikeouts.names import CHALLENGER
        from strikeouts.pipeline.handlers import SystemHandler
        from strikeouts.runtime.served import AliasFollower, AliasPredictor

        store = open_function_model_store(services.settings)
        champion = AliasPredictor(store, system_id)
        challenger = AliasFollower(store, system_id, CHALLENGER)
        return SystemHandler(
            champion,
            services.publisher,
            services.config,
            services.clock,
            challenger=challenger.current,
        )

    return build


def prediction_sink(
    services: Services, *, deferred: bool = False, table: str | None = None
) -> PredictionSink:
    """Staged streaming inserts on BigQuery (merged by the tick), a keyed merge elsewhere.

    ``deferred``: the staging inserts are batched in the background (``cloud.deferred``), the
    state marked written once they succeed; for deliveries that need not finish their
    writes inside the request (the ensemble's, not the tick's).
    """
    from strikeouts.cloud.staging import StagedPredictionSink, is_bigquery
    from strikeouts.names import PREDICTIONS
    from strikeouts.runtime.sinks import WarehousePredictionSink

    warehouse, table = services.warehouse, table or PREDICTIONS
    if not is_bigquery(warehouse):
        return WarehousePredictionSink(warehouse, table)
    staged = StagedPredictionSink(cast("BigQueryWarehouse", warehouse), table)
    if not deferred:
        return staged
    from strikeouts.cloud.deferred import DeferredStagedSink

    return DeferredStagedSink.from_settings(staged, services.settings)


def ensemble_handler(services: Services, *, deferred: bool = False) -> EnsembleHandler:
    """The ensemble over the aggregation state and the warehouse's prediction table; shadow
    rows are staged synchronously (no aggregation state would rewrite a lost one)."""
    from strikeouts.pipeline.handlers import EnsembleHandler

    sink = prediction_sink(services, deferred=deferred)
    shadow = _OnFirstShadow(services)
    return EnsembleHandler(services.state, sink, services.config, services.clock, shadow=shadow)


@dataclass(frozen=True)
class _OnFirstShadow:
    """The ``shadow_predictions`` sink, opened on the first challenger row: most deployments
    shadow nothing, and opening it (its staging table) costs a cold start several API calls."""

    services: Services

    @cached_property
    def sink(self) -> PredictionSink:
        from strikeouts.names import SHADOW_PREDICTIONS

        return prediction_sink(self.services, table=SHADOW_PREDICTIONS)

    def write(self, rows: Sequence[Mapping[str, Any]]) -> int:
        return self.sink.write(rows)


def build_ensemble(services: Services) -> Handler:
    """One function for both ensemble inputs, told apart by the message's type; its rows
    are staged in background batches (the tick repairs what an instance's death loses)."""
    ensemble = ensemble_handler(services, deferred=True)
    limit = services.config.max_message_bytes

    def handle(payload: Payload) -> None:
        # an unparseable payload is rejected here with the same InvalidMessage as in decode
        if parse_json(payload, limit).get("message_type") == "pitcher-game":
            ensemble.on_pitcher_game(payload)
        else:
            ensemble.on_result(payload)

    return handle


def run_completions(services: Services) -> RunCompletions:
    """The completion sweep of the tick: the ledger beside the aggregation state on Cloud
    Storage (else ``run_completions`` in the warehouse), publishing to predictions-complete."""
    from strikeouts.cloud.completion_publisher import CompletionPublisher
    from strikeouts.pipeline.completion import RunCompletions
    from strikeouts.pipeline.ports import CompletionLedger

    settings = services.settings
    ledger: CompletionLedger
    if settings.aggregation_state:
        from strikeouts.cloud.clients import parse_gcs_uri, storage_client
        from strikeouts.cloud.gcs_completions import GcsCompletionLedger

        bucket, _ = parse_gcs_uri(settings.aggregation_state, "aggregation_state")
        ledger = GcsCompletionLedger(storage_client(settings), bucket)
    else:
        from strikeouts.runtime.completions import WarehouseCompletions

        ledger = WarehouseCompletions(services.warehouse, buffered=False)
    return RunCompletions(ledger, CompletionPublisher(services.publisher), services.config)


def build_ensemble_tick(services: Services) -> Handler:
    """The scheduled tick: finalize overdue pitcher-games, then merge the staged rows, then
    announce the run dates now complete (after the merge: their rows are in the table).

    Its writes are synchronous: the repair of a lost batch must be staged before the merge
    that follows it, inside the tick's own request. A tick with nothing to do runs no
    BigQuery job (the mergers read what is staged for free first) and writes no heartbeat:
    its "ensemble tick" log line and request log are what the tick alert counts.
    """
    from strikeouts.cloud.staging import open_merger
    from strikeouts.names import PREDICTIONS, SHADOW_PREDICTIONS

    ensemble = ensemble_handler(services)
    completions = run_completions(services)
    mergers = [
        merger
        for table in (PREDICTIONS, SHADOW_PREDICTIONS)
        if (merger := open_merger(services.settings, services.warehouse, table)) is not None
    ]

    def handle(payload: Payload) -> None:
        finalized = ensemble.tick(payload)
        merged = [merger.merge(wait=TICK_MERGE_WAIT_SECONDS) for merger in mergers]
        announced = completions.sweep(ensemble.store, services.clock.now())
        log.info(
            TICK_LOG,
            finalized=len(finalized),
            inserted=sum(m.inserted for m in merged),
            announced=len(announced),
            idle=all(m.idle for m in merged) and not finalized and not announced,
        )

    return handle


@cache
def system_entry(system_id: str) -> Entry:
    """The entry of one system's function (one per process and system)."""
    spec = get_system(system_id)  # an unregistered id fails here, naming the known ones
    return Entry(system_function(spec.system_id), system_builder(spec.system_id), instance_services)


def configured_system() -> str:
    """The system this function instance serves, from its settings (``STRIKEOUTS_SYSTEM_ID``)."""
    system_id = get_settings().system_id
    registered = system_ids()
    if system_id not in registered:
        said = "is not set" if not system_id else f"={system_id!r} is not a registered system"
        raise ValueError(
            f"STRIKEOUTS_SYSTEM_ID {said}: a {SYSTEM_FOLDER} function serves one of "
            f"{', '.join(registered)}"
        )
    return system_id


def predict_system(event: CloudEvent) -> Outcome:
    """The generic system function: the registered system its settings name handles it."""
    return system_entry(configured_system())(event)


fanout = Entry("fanout", build_fanout, instance_services, serialize=True)
ensemble = Entry("ensemble", build_ensemble, instance_services)
ensemble_tick = Entry("ensemble_tick", build_ensemble_tick, instance_services)


def entries() -> dict[str, Entry]:
    """Function key -> Entry of every event function (the registry's systems included)."""
    systems = {name: system_entry(s) for name, s in system_functions().items()}
    return {"fanout": fanout, **systems, "ensemble": ensemble, "ensemble_tick": ensemble_tick}
