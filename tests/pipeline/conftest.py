"""Fixtures for the pipeline tests: a fake clock, the config, a DuckDB warehouse, the pipeline."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from strikeouts.pipeline.bus import FaultPlan
from strikeouts.pipeline.clock import FakeClock
from strikeouts.pipeline.config import PipelineConfig
from strikeouts.pipeline.embedded import EmbeddedPipeline, build_embedded
from strikeouts.pipeline.ports import TrailingAccuracy
from strikeouts.runtime.sinks import WarehousePredictionSink, WarehouseRejectionSink
from strikeouts.runtime.state_store import DuckDBStateStore
from strikeouts.warehouse.duckdb_backend import DuckDBWarehouse

from .doubles import StubFeatures, StubPredictor, two_system_config


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def config() -> PipelineConfig:
    return two_system_config()


@pytest.fixture
def warehouse(tmp_path: Path) -> Iterator[DuckDBWarehouse]:
    wh = DuckDBWarehouse(tmp_path / "warehouse.duckdb")
    yield wh
    wh.close()


PipelineFactory = Callable[..., EmbeddedPipeline]


@pytest.fixture
def make_pipeline(
    warehouse: DuckDBWarehouse, clock: FakeClock, config: PipelineConfig, tmp_path: Path
) -> PipelineFactory:
    """Build the embedded pipeline on the warehouse with the given systems, features and faults."""
    store = DuckDBStateStore(tmp_path / "state.duckdb")

    def make(
        predictors: Sequence[StubPredictor],
        features: StubFeatures | None = None,
        faults: FaultPlan | None = None,
        cfg: PipelineConfig | None = None,
        accuracy: TrailingAccuracy | None = None,
    ) -> EmbeddedPipeline:
        return build_embedded(
            predictors=predictors,
            features=features or StubFeatures(),
            store=store,
            sink=WarehousePredictionSink(warehouse),
            rejections=WarehouseRejectionSink(warehouse),
            config=cfg or config,
            clock=clock,
            faults=faults,
            accuracy=accuracy,
        )

    return make


@pytest.fixture
def pitcher_game(clock: FakeClock, config: PipelineConfig) -> dict[str, object]:
    """One valid pitcher-game message built by fanout."""
    from strikeouts.pipeline.handlers import Fanout

    from .doubles import Recorder, schedule_event

    messages = Fanout(StubFeatures(), Recorder(), config)(schedule_event(clock))
    return messages[0]
