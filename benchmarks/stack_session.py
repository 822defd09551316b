"""A local stack for one benchmark: up on a copy of an ingested warehouse, down at the end.

Invariant: whatever the benchmark raises, the stack it started is stopped (by PID, through
``stack_down``) and its temporary state removed.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from strikeouts.cloud.bigquery_warehouse import BigQueryWarehouse
from strikeouts.devstack.stack import StackInfo, stack_down, stack_up
from strikeouts.settings import Settings, get_settings


@dataclass(frozen=True)
class BenchStack:
    """The running stack, the settings that reach it, and its BigQuery dataset."""

    info: StackInfo
    settings: Settings
    cloud: BigQueryWarehouse


@contextmanager
def bench_stack(
    warehouse: Path | None,
    prefix: str,
    train_end: dt.date,
    function_env: Mapping[str, str] | None = None,
) -> Iterator[BenchStack]:
    """The stack up on a copy of ``warehouse`` (default: the settings'), champions trained on
    starts before ``train_end``, the functions given ``function_env``."""
    base = get_settings()
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        features = Path(tmp) / "features.duckdb"
        shutil.copyfile(warehouse or base.warehouse, features)
        settings = Settings(state_dir=Path(tmp) / "state", data_dir=base.data_dir)
        up = time.perf_counter()
        info = stack_up(
            settings,
            feature_warehouse=features,
            train_end=train_end,
            tick_seconds=0,
            function_env=function_env,
        )
        print(f"stack up in {time.perf_counter() - up:.1f} s")
        settings = info.settings(settings)
        cloud = BigQueryWarehouse(
            project=info.project, dataset=info.dataset, endpoint=info.bigquery_endpoint
        )
        try:
            yield BenchStack(info, settings, cloud)
        finally:
            cloud.close()
            stack_down(settings)
