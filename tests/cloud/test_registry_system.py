"""A system is one registry entry: a throwaway system registered in ``models/systems.py`` alone
(no other file edited) is served embedded and on the local stack, appears in
``system_comparison`` and in ``strikeouts monitor``, and is shadowed as a challenger.

The functions of the stack run the packaged tree (what Terraform deploys) whose registry file
got one more entry; this process registers the same entry. Nothing else is told about it: the
functions, routes, models, expected systems and weights follow from the registry.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from strikeouts.cli import app
from strikeouts.cloud.bigquery_warehouse import BigQueryWarehouse
from strikeouts.cloud.functions import open_function_model_store, system_function
from strikeouts.cloud.pubsub import PubSubPublisher
from strikeouts.cloud.staging import open_merger
from strikeouts.devstack.packaging import package_function
from strikeouts.devstack.stack import StackInfo
from strikeouts.models import systems
from strikeouts.models.promotion import promote
from strikeouts.models.service import register, train, training_frame
from strikeouts.monitoring.views import ensure_views
from strikeouts.names import CHALLENGER, SHADOW_PREDICTIONS
from strikeouts.pipeline.clock import FakeClock
from strikeouts.runtime.runner import Runner, load_predictors
from strikeouts.runtime.served import load_challengers
from strikeouts.settings import Settings
from strikeouts.warehouse.duckdb_backend import DuckDBWarehouse

from .stack_session import ALIAS_TTL_SECONDS, event_for, running_stack, wait_for

pytestmark = [pytest.mark.emulator, pytest.mark.slow, pytest.mark.data]

SYSTEM = "zz_throwaway"
# the one edit: appended to the registry file of the packaged tree, executed here as well
ENTRY = f"""
SYSTEMS["{SYSTEM}"] = SystemSpec(
    system_id="{SYSTEM}",
    feature_set="v1_baseline",
    objective=OBJECTIVE,
    params=dict(_COMMON),
    num_boost_round=40,
    description="a throwaway system registered by a test",
)
"""
DAY = dt.date(2025, 7, 18)
CREATED = dt.datetime(2025, 7, 18, 9, 0, tzinfo=dt.UTC)
# champions trained on half a season: quick, and the systems' accuracy is not the point here
MODELS_END = dt.date(2021, 9, 1)
CHALLENGER_END = dt.date(2021, 7, 15)
SOURCE_TABLES = ("games", "pitcher_starts", "prop_lines")


@pytest.fixture(scope="module")
def registered() -> Iterator[str]:
    """The throwaway entry in this process's registry (removed afterwards)."""
    namespace = dict(vars(systems))
    exec(ENTRY, namespace)  # the same SYSTEMS dict: the entry as the file would add it
    try:
        yield SYSTEM
    finally:
        systems.SYSTEMS.pop(SYSTEM, None)


@pytest.fixture(scope="module")
def packaged(registered: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The deployable tree with the entry appended to its registry file, nothing else."""
    folder = package_function(system_function(registered), tmp_path_factory.mktemp("packaged"))
    registry = folder / "strikeouts" / "models" / "systems.py"
    registry.write_text(registry.read_text() + ENTRY)
    return folder


@pytest.fixture(scope="module")
def stack(
    packaged: Path, ingested: DuckDBWarehouse, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[StackInfo]:
    """A stack whose functions import the packaged tree (the champions, the throwaway's
    included, trained by ``up`` as for any registered system)."""
    root = tmp_path_factory.mktemp("registry-stack")
    ingested.execute("CHECKPOINT")
    features = root / "features.duckdb"
    shutil.copyfile(ingested.path, features)
    path = os.pathsep.join(p for p in (str(packaged), os.environ.get("PYTHONPATH")) if p)
    with running_stack(
        Settings(state_dir=root / "state"),
        feature_warehouse=features,
        train_end=MODELS_END,
        tick_seconds=0,
        function_env={"PYTHONPATH": path, "STRIKEOUTS_ALIAS_TTL_SECONDS": str(ALIAS_TTL_SECONDS)},
    ) as info:
        yield info


@pytest.fixture(scope="module")
def challenger(stack: StackInfo, ingested: DuckDBWarehouse, registered: str) -> str:
    """An older throwaway model under the ``challenger`` alias, as for any system."""
    store = open_function_model_store(stack.settings())
    model = train(training_frame(ingested, CHALLENGER_END), registered, CHALLENGER_END)
    version = register(store, model, None).version
    promote(store, registered, version, alias=CHALLENGER)
    return version


def _local_copy(ingested: DuckDBWarehouse, path: Path) -> DuckDBWarehouse:
    warehouse = DuckDBWarehouse(path)
    for table in SOURCE_TABLES:
        warehouse.replace_table(table, ingested.query(f"SELECT * FROM {table}"))
    return warehouse


def _monitor(
    warehouse: str, *args: str, env: dict[str, str] | None = None
) -> dict[str, dict[str, str]]:
    """`strikeouts monitor` for DAY as JSON: check name -> result."""
    result = CliRunner().invoke(
        app,
        ["monitor", "--date", DAY.isoformat(), "--format", "json", "--warehouse", warehouse, *args],
        env={"COLUMNS": "200", **(env or {})},
    )
    assert result.exit_code in (0, 1), result.output
    return {r["check"]: r for r in json.loads(result.stdout)}


def _comparison(warehouse: BigQueryWarehouse | DuckDBWarehouse, where: str) -> pd.DataFrame:
    return warehouse.query(
        f"SELECT system_id, state, predicted_strikeouts FROM system_comparison WHERE {where}",
        {"d": DAY},
    )


def test_served_embedded_compared_monitored_and_shadowed(
    stack: StackInfo,
    challenger: str,
    ingested: DuckDBWarehouse,
    registered: str,
    tmp_path: Path,
) -> None:
    store = open_function_model_store(stack.settings())
    warehouse = _local_copy(ingested, tmp_path / "warehouse.duckdb")
    try:
        runner = Runner(
            warehouse,
            load_predictors(store),
            tmp_path / "state.duckdb",
            clock=FakeClock(CREATED),
            challengers=load_challengers(store),
        )
        assert registered in runner.expected_systems
        summary = runner.run(DAY, DAY, run_id="registry-embedded")
        rows = summary.rows
        ours = rows[rows["system_id"] == registered]
        assert len(ours) == 30 and (ours["status"] == "ok").sum() >= 25
        ensemble = rows[rows["system_id"] == "ensemble_v1"]
        answered = ensemble[ensemble["status"] == "ok"]
        contributing = [registered in list(c) for c in answered["contributing_systems"]]
        assert len(contributing) >= 25 and all(contributing), answered["contributing_systems"]
        assert all(registered in json.loads(w) for w in answered["weights_json"])
        shadows = warehouse.query(f"SELECT system_id, model_version FROM {SHADOW_PREDICTIONS}")
        assert set(shadows["system_id"]) == {registered} and len(shadows) == 30
        assert set(shadows["model_version"]) == {challenger}
        ensure_views(warehouse)
        compared = _comparison(warehouse, "game_date = @d")
        assert set(compared["system_id"]) == {*systems.system_ids(), "ensemble_v1"}
        assert (compared.loc[compared["system_id"] == registered, "state"] == "ok").sum() >= 25
        warehouse.execute("CHECKPOINT")
    finally:
        warehouse.close()
    path = str(tmp_path / "warehouse.duckdb")
    assert _monitor(path)["system_silent"]["status"] == "pass"
    silenced = DuckDBWarehouse(path)
    try:  # the throwaway system writes nothing: the monitor names it
        silenced.execute(
            "DELETE FROM pitcher_strikeout_predictions WHERE system_id = @s", {"s": registered}
        )
        silenced.execute("CHECKPOINT")
    finally:
        silenced.close()
    silent = _monitor(path)["system_silent"]
    assert silent["status"] == "fail" and registered in silent["detail"]


def test_served_on_the_stack_compared_monitored_and_shadowed(
    stack: StackInfo, challenger: str, registered: str
) -> None:
    assert system_function(registered) in stack.processes
    settings = stack.settings()
    cloud = BigQueryWarehouse(
        project=stack.project, dataset=stack.dataset, endpoint=stack.bigquery_endpoint, timeout=60.0
    )
    try:
        event = event_for(stack, DAY, "registry-stack", CREATED)
        assert registered in event["expected_systems"]
        publisher = PubSubPublisher.from_settings(settings)
        publisher.publish(settings.topics.game_schedule, event)
        publisher.flush()
        merger = open_merger(settings, cloud)
        assert merger is not None

        def written() -> bool:
            merger.merge()
            n = cloud.query(
                "SELECT COUNT(*) AS n FROM pitcher_strikeout_predictions WHERE run_id = @r",
                {"r": "registry-stack"},
            )
            return int(n["n"].iloc[0]) >= 30 * (len(systems.system_ids()) + 1)

        wait_for("every system's and the ensemble's rows of the run", written)
        rows = cloud.query(
            "SELECT system_id, status FROM pitcher_strikeout_predictions WHERE run_id = @r",
            {"r": "registry-stack"},
        )
        assert (rows["system_id"] == registered).sum() == 30
        shadow_merger = open_merger(settings, cloud, SHADOW_PREDICTIONS)
        assert shadow_merger is not None

        def shadowed() -> bool:
            shadow_merger.merge()
            n = cloud.query(
                f"SELECT COUNT(*) AS n FROM {SHADOW_PREDICTIONS} WHERE system_id = @s",
                {"s": registered},
            )
            return int(n["n"].iloc[0]) >= 30

        wait_for("the challenger's shadow rows", shadowed)
        ensure_views(cloud)
        compared = _comparison(cloud, "game_date = @d")
        assert registered in set(compared["system_id"])
    finally:
        cloud.close()
    # the views exist (ensure_views above): only the check that names absent systems
    checks = _monitor(
        settings.warehouse,
        *("--check", "system_silent", "--no-create-views"),
        env={"STRIKEOUTS_BIGQUERY_ENDPOINT": stack.bigquery_endpoint},
    )
    assert checks["system_silent"]["status"] == "pass", checks["system_silent"]
