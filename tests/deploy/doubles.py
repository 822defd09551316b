"""Doubles of a deployment's parts for the checks' unit tests (no stack, no cloud)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from strikeouts.deploy.checks import Deployment
from strikeouts.deploy.expect import Expectation
from strikeouts.deploy.inventory import FunctionState
from strikeouts.warehouse.base import WarehouseError
from strikeouts.warehouse.schemas import load_schema

DAY = dt.date(2025, 6, 20)
DEPLOYED_AT = dt.datetime(2025, 6, 20, 12, 0, tzinfo=dt.UTC)
SYSTEMS = ("v1_baseline", "v1_6_rolling")
FUNCTIONS = ("fanout", "ensemble", "ensemble_tick", "predict_v1_baseline", "predict_v1_6_rolling")


@dataclass
class FakeInventory:
    found: dict[str, FunctionState]
    deployed_at: dt.datetime | None = DEPLOYED_AT

    def functions(self) -> dict[str, FunctionState]:
        return self.found

    def deploy_time(self) -> dt.datetime | None:
        return self.deployed_at


def healthy_functions(names: Iterable[str] = FUNCTIONS) -> dict[str, FunctionState]:
    return {n: FunctionState(n, True, f"{n} ACTIVE", f"functions/{n}-abc.zip") for n in names}


COLUMNS = [
    "run_id",
    "run_created_at",
    "game_id",
    "pitcher_id",
    "system_id",
    "model_alias",
    "answered",
    "reason",
]


def run_rows(systems: Iterable[str], pitchers: int = 3, run_id: str = "r2") -> pd.DataFrame:
    """One row per pitcher-game and system of one run."""
    created = pd.Timestamp("2025-06-20T10:00:00Z")
    return pd.DataFrame(
        [
            {
                "run_id": run_id,
                "run_created_at": created,
                "game_id": f"G{p}",
                "pitcher_id": p,
                "system_id": s,
                "model_alias": None if s.startswith("ensemble") else "champion",
                "answered": True,
                "reason": None,
            }
            for p in range(pitchers)
            for s in systems
        ],
        columns=COLUMNS,
    )


@dataclass
class FakeWarehouse:
    """Answers the checks' queries from canned frames; a listed view fails to query."""

    predictions: pd.DataFrame
    performance: pd.DataFrame | None = None
    broken_views: tuple[str, ...] = ()
    dead: pd.DataFrame = field(default_factory=pd.DataFrame)
    asked: list[tuple[str, Mapping[str, Any] | None]] = field(default_factory=list)
    name: str = "fake"

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> pd.DataFrame:
        self.asked.append((sql, params))
        if "FROM pitcher_strikeout_predictions WHERE game_date" in sql:
            return self.predictions
        if "FROM system_performance WHERE" in sql:
            if self.performance is not None:
                return self.performance
            rows = self.predictions.groupby("system_id")["answered"]
            return pd.DataFrame({"predictions": rows.size(), "answered": rows.sum()}).reset_index()
        for view in self.broken_views:
            if f"FROM {view} " in sql:
                raise WarehouseError(f"view {view} not found")
        return pd.DataFrame()

    def close(self) -> None:
        pass


def schema_columns(missing: Mapping[str, str] | None = None) -> Any:
    """Every table as its schema file says; ``missing`` = {table: column or '*' (no table)}."""

    def columns(table: str) -> list[dict[str, Any]] | None:
        gone = (missing or {}).get(table)
        if gone == "*":
            return None
        return [f for f in load_schema(table).bigquery_fields() if f["name"] != gone]

    return columns


def deployment(
    *,
    functions: dict[str, FunctionState] | None = None,
    predictions: pd.DataFrame | None = None,
    expect: Expectation | None = None,
    warehouse: FakeWarehouse | None = None,
    columns: Any = None,
    letters: list[str] | None = None,
) -> Deployment:
    """A healthy deployment unless told otherwise."""
    rows = run_rows((*SYSTEMS, "ensemble_v1")) if predictions is None else predictions
    sources = {n: f"functions/{n}-abc.zip" for n in FUNCTIONS}
    return Deployment(
        inventory=FakeInventory(healthy_functions() if functions is None else functions),
        warehouse=warehouse or FakeWarehouse(rows),  # type: ignore[arg-type]
        columns=columns or schema_columns(),
        dead_letters=lambda since: list(letters or []),
        expect=expect or Expectation(date=DAY, systems=SYSTEMS, ensemble=True, sources=sources),
    )
