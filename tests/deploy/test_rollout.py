"""`deploy snapshot` then `deploy rollback` on a local model store: the aliases go back to the
snapshot's versions, the rollback tfvars pin the previous source objects and phase."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from strikeouts.adapters import open_model_store
from strikeouts.cli import app
from strikeouts.deploy.rollout import Snapshot
from strikeouts.models.metadata import ModelMetadata
from strikeouts.models.store import ObjectModelStore
from strikeouts.settings import Settings

from .test_inventory import OUTPUTS


def _metadata(system_id: str) -> ModelMetadata:
    return ModelMetadata(
        system_id=system_id,
        feature_set_version="fs1",
        feature_names=["a"],
        train_start=dt.date(2024, 4, 1),
        train_end=dt.date(2025, 3, 1),
        n_train_rows=10,
        data_fingerprint="0" * 64,
    )


@pytest.fixture
def store(tmp_path: Path) -> ObjectModelStore:
    """Two versions of each system, champion on v0001, a challenger on v0002 for one."""
    found = open_model_store(Settings(model_store=str(tmp_path / "models")))
    for system_id in ("v1_baseline", "v1_6_rolling"):
        for n in (1, 2):
            found.save(system_id, f"model {n}".encode(), _metadata(system_id))
        found.set_alias(system_id, "champion", "v0001")
    found.set_alias("v1_baseline", "challenger", "v0002")
    return found


def cli(tmp_path: Path, *args: str) -> Any:
    env = {"STRIKEOUTS_MODEL_STORE": str(tmp_path / "models"), "COLUMNS": "200"}
    command, *rest = args  # the project's model store and buckets: the cloud backend
    return CliRunner().invoke(app, ["deploy", command, "--backend", "cloud", *rest], env=env)


def test_rollback_restores_the_aliases_and_writes_the_tfvars(
    tmp_path: Path, store: ObjectModelStore
) -> None:
    outputs = tmp_path / "tf.json"
    outputs.write_text(json.dumps({k: v for k, v in OUTPUTS.items() if k != "buckets"}))
    snap = tmp_path / "snapshot.json"
    taken = cli(tmp_path, "snapshot", "--out", str(snap), "--terraform-output", str(outputs))
    assert taken.exit_code == 0, taken.output
    snapshot = Snapshot.read(snap)
    assert snapshot.aliases == {
        "v1_6_rolling": {"champion": "v0001"},
        "v1_baseline": {"challenger": "v0002", "champion": "v0001"},
    }
    assert snapshot.function_source_objects == {"fanout": "functions/fanout-1.zip"}
    # the deploy promotes: both champions move to v0002, a challenger appears for v1_6_rolling
    for system_id in ("v1_baseline", "v1_6_rolling"):
        store.set_alias(system_id, "champion", "v0002")
    store.set_alias("v1_6_rolling", "challenger", "v0002")

    tfvars = tmp_path / "rollback.tfvars.json"
    rolled = cli(tmp_path, "rollback", "--snapshot", str(snap), "--tfvars-out", str(tfvars))
    assert rolled.exit_code == 0, rolled.output
    assert store.aliases("v1_baseline") == {"champion": "v0001", "challenger": "v0002"}
    assert store.aliases("v1_6_rolling")["champion"] == "v0001"
    assert "v1_baseline@champion v0002 -> v0001" in rolled.output
    assert "v1_baseline@challenger already v0002" in rolled.output
    assert "v1_6_rolling@challenger v0002 removed" in rolled.output
    assert "challenger" not in store.aliases("v1_6_rolling")
    assert json.loads(tfvars.read_text()) == {
        "function_source_objects": {"fanout": "functions/fanout-1.zip"},
        "systems": {"deployed": ["v1_baseline"], "expected": ["v1_baseline"], "ensemble": False},
    }


def test_a_first_deploy_snapshot_pins_nothing(tmp_path: Path, store: ObjectModelStore) -> None:
    snap = tmp_path / "snapshot.json"
    assert cli(tmp_path, "snapshot", "--out", str(snap)).exit_code == 0
    tfvars = tmp_path / "rollback.tfvars.json"
    rolled = cli(tmp_path, "rollback", "--snapshot", str(snap), "--tfvars-out", str(tfvars))
    assert rolled.exit_code == 0, rolled.output
    assert "0 functions pinned (no previous sources" in rolled.output
    assert json.loads(tfvars.read_text()) == {"function_source_objects": {}}


def test_a_bad_snapshot_is_one_red_line_and_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"nope": 1}')
    result = cli(tmp_path, "rollback", "--snapshot", str(bad))
    assert result.exit_code == 2
    assert "is not a deploy snapshot" in result.output
