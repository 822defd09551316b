"""One system's champion artifact overwritten with bytes that are not a model: the embedded run
completes (that system's rows are errors naming why, the ensemble falls back to the others) and ``strikeouts monitor`` exits 1 naming the system and its error share."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from strikeouts.adapters import open_model_store
from strikeouts.cli import app
from strikeouts.settings import Settings
from strikeouts.warehouse.duckdb_backend import DuckDBWarehouse

pytestmark = pytest.mark.data

# HEALTHY is the ensemble's pick (PipelineConfig.pick_system): its law is the ensemble's
BROKEN, HEALTHY = "v1_6_rolling", "v2_market"
DATE = "2025-07-04"


@pytest.fixture
def broken_env(cli_env: dict[str, str], model_dir: Path, tmp_path: Path) -> dict[str, str]:
    """The CLI environment with a copy of the champions whose BROKEN artifact is garbage."""
    models = tmp_path / "models"
    shutil.copytree(model_dir, models)
    version = open_model_store(Settings(model_store=str(models))).aliases(BROKEN)["champion"]
    (models / BROKEN / "versions" / version / "model.ubj").write_bytes(b"this is not a model")
    return {**cli_env, "STRIKEOUTS_MODEL_STORE": str(models)}


def test_a_corrupt_champion_costs_its_rows_not_the_run_and_monitor_says_so(
    broken_env: dict[str, str],
) -> None:
    runner = CliRunner()
    run = runner.invoke(app, ["run", "--date", DATE, "--run-id", "broken"], env=broken_env)
    assert run.exit_code == 0, run.output
    assert f"{BROKEN}@champion cannot be loaded" in " ".join(run.output.split())

    warehouse = DuckDBWarehouse(Path(broken_env["STRIKEOUTS_WAREHOUSE"]))
    try:
        rows = warehouse.query(
            "SELECT * FROM pitcher_strikeout_predictions WHERE run_id = 'broken'"
        )
    finally:
        warehouse.close()
    by_system = {s: g for s, g in rows.groupby("system_id")}
    broken, healthy, ensemble = by_system[BROKEN], by_system[HEALTHY], by_system["ensemble_v1"]
    assert len(broken) == len(healthy) == len(ensemble) > 0
    assert set(broken["status"]) == {"error"} and broken["predicted_strikeouts"].isna().all()
    assert broken["status_reason"].str.contains("artifact is corrupt|circuit open").all()
    assert broken["status_reason"].str.contains("artifact is corrupt").any()
    assert set(healthy["status"]) <= {"ok", "skip"}
    # the ensemble falls back to the healthy pick: its prediction, weight 1, BROKEN missing
    answered = ensemble[ensemble["status"] == "fallback"].merge(
        healthy[healthy["status"] == "ok"], on=["game_id", "pitcher_id"], suffixes=("", "_h")
    )
    assert len(answered) > 0
    pd.testing.assert_series_equal(
        answered["predicted_strikeouts"], answered["predicted_strikeouts_h"], check_names=False
    )
    weights = [json.loads(w) for w in answered["weights_json"]]
    assert all(w[HEALTHY] == 1.0 and BROKEN not in w for w in weights)
    assert answered["fallback_reason"].str.contains(f"{BROKEN}: error").all()

    monitor = runner.invoke(app, ["monitor", "--date", DATE, "--format", "json"], env=broken_env)
    assert monitor.exit_code == 1, monitor.output
    results = {r["check"]: r for r in json.loads(monitor.stdout)}
    share = results["error_share"]
    assert (share["status"], share["severity"], share["value"]) == ("fail", "critical", 1.0)
    assert share["detail"].startswith(f"100.0% {BROKEN}: ")
    assert "artifact is corrupt" in share["detail"]
    assert results["system_silent"]["status"] == "fail"
    assert BROKEN in results["system_silent"]["detail"]
    assert "error_share" in monitor.stderr and "system_silent" in monitor.stderr
