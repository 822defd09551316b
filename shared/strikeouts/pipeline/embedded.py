"""The whole pipeline on one machine: the same handlers, wired to the in-process bus.

Subscriptions mirror the cloud deployment: ``pitcher-games`` has one subscription per
system plus one for the ensemble (registration), ``system-predictions`` and
``ensemble-ticks`` go to the ensemble, ``game-schedule`` to fanout.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from strikeouts.names import ENSEMBLE_TICKS, GAME_SCHEDULE, PITCHER_GAMES, SYSTEM_PREDICTIONS
from strikeouts.pipeline.bus import FaultPlan, InProcessBus
from strikeouts.pipeline.clock import Clock
from strikeouts.pipeline.config import PipelineConfig
from strikeouts.pipeline.handlers import EnsembleHandler, Fanout, SystemHandler
from strikeouts.pipeline.handlers.system import Challenger
from strikeouts.pipeline.ports import (
    AggregationStateStore,
    FeatureSource,
    LineSource,
    PredictionSink,
    Predictor,
    RejectionSink,
    TrailingAccuracy,
)


@dataclass
class EmbeddedPipeline:
    """The bus and the handlers subscribed to it."""

    bus: InProcessBus
    fanout: Fanout
    systems: dict[str, SystemHandler]
    ensemble: EnsembleHandler


def build_embedded(
    *,
    predictors: Sequence[Predictor],
    features: FeatureSource,
    store: AggregationStateStore,
    sink: PredictionSink,
    rejections: RejectionSink,
    config: PipelineConfig,
    clock: Clock,
    lines: LineSource | None = None,
    accuracy: TrailingAccuracy | None = None,
    faults: FaultPlan | None = None,
    challengers: Mapping[str, Predictor] | None = None,
    shadow: PredictionSink | None = None,
) -> EmbeddedPipeline:
    """Create the bus and subscribe fanout, one handler per predictor and the ensemble.

    ``challengers`` (system id → predictor) are served in shadow by their system's handler,
    their rows written to ``shadow``, never aggregated."""
    bus = InProcessBus(
        rejections=rejections,
        clock=clock,
        max_attempts=config.max_delivery_attempts,
        faults=faults or FaultPlan(),
    )
    fanout = Fanout(features, bus, config, lines)
    shadows = challengers or {}
    systems = {
        p.system_id: SystemHandler(
            p, bus, config, clock, challenger=_fixed(shadows.get(p.system_id))
        )
        for p in predictors
    }
    ensemble = EnsembleHandler(store, sink, config, clock, accuracy, shadow=shadow)
    bus.subscribe(GAME_SCHEDULE, "fanout", fanout)
    for system_id, handler in systems.items():
        # prepare: the bus shows each system a drain's pitcher-games, predicted in one call
        bus.subscribe(PITCHER_GAMES, f"system-{system_id}", handler, prepare=handler.prepare)
    bus.subscribe(PITCHER_GAMES, "ensemble-register", ensemble.on_pitcher_game)
    bus.subscribe(SYSTEM_PREDICTIONS, "ensemble", ensemble.on_result)
    bus.subscribe(ENSEMBLE_TICKS, "ensemble-tick", ensemble.tick)
    return EmbeddedPipeline(bus, fanout, systems, ensemble)


def _fixed(predictor: Predictor | None) -> Challenger | None:
    """The challenger of an embedded run: fixed for the run (None: no shadowing)."""
    return None if predictor is None else lambda: predictor
