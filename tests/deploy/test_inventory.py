"""The backends' facts in one shape: Terraform's outputs, the Cloud Functions v2 API (through
a recorded-response session) and the local stack's record (a fake probe)."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

import pytest

from strikeouts.deploy.expect import Expectation, TerraformOutputs, parse_systems, system_of
from strikeouts.deploy.inventory import CloudInventory, StackInventory
from strikeouts.devstack.stack_info import StackInfo, StackProcess

OUTPUTS = {
    "function_names": {
        "sensitive": False,
        "type": ["map", "string"],
        "value": {"fanout": "fanout", "predict_v1_baseline": "predict-v1-baseline"},
    },
    "function_source_objects": {
        "sensitive": False,
        "type": ["map", "string"],
        "value": {"fanout": "functions/fanout-1.zip"},
    },
    "expected_systems": {"sensitive": False, "type": ["list", "string"], "value": ["v1_baseline"]},
    "write_ensemble": {"sensitive": False, "type": "bool", "value": False},
    "warehouse": {"sensitive": False, "type": "string", "value": "bigquery://proj-1/strikeouts"},
    "buckets": {"sensitive": False, "type": ["object"], "value": {"models": "proj-1-models"}},
}


def test_terraform_outputs_are_read_from_terraform_output_json(tmp_path: Path) -> None:
    path = tmp_path / "tf.json"
    path.write_text(json.dumps(OUTPUTS))
    tf = TerraformOutputs.read(path)
    assert tf.function_names["predict_v1_baseline"] == "predict-v1-baseline"
    assert tf.function_source_objects == {"fanout": "functions/fanout-1.zip"}
    assert tf.expected_systems == ("v1_baseline",) and tf.write_ensemble is False
    assert tf.warehouse == "bigquery://proj-1/strikeouts" and tf.models_bucket == "proj-1-models"


def test_terraform_outputs_name_a_bad_file(tmp_path: Path) -> None:
    path = tmp_path / "tf.json"
    path.write_text("[1]")
    with pytest.raises(ValueError, match="expected a JSON object"):
        TerraformOutputs.read(path)
    with pytest.raises(ValueError, match=r"missing\.json"):
        TerraformOutputs.read(tmp_path / "missing.json")


def test_expected_functions_are_the_pipeline_and_the_systems() -> None:
    expect = Expectation(
        date=dt.date(2025, 6, 20),
        systems=("v1_baseline",),
        ensemble=False,
        extra_functions=("fanout", "monitor"),
    )
    assert expect.functions == (
        "fanout",
        "ensemble",
        "ensemble_tick",
        "predict_v1_baseline",
        "monitor",
    )
    assert expect.row_systems == ("v1_baseline",)
    assert system_of("predict_v1_baseline") == "v1_baseline"
    assert system_of("predict") is None and system_of("fanout") is None
    assert parse_systems("a, b", ()) == ("a", "b") and parse_systems(None, ("x",)) == ("x",)
    with pytest.raises(ValueError, match="names no system"):
        parse_systems(" , ", ())


class RecordedSession:
    """Answers the list call page by page, like the Cloud Functions v2 API."""

    def __init__(self, pages: list[dict[str, Any]], status: int = 200) -> None:
        self.pages, self.status, self.calls = pages, status, []

    def get(self, url: str, params: dict[str, str], timeout: float) -> Any:
        self.calls.append((url, params))
        page = self.pages[len(self.calls) - 1]
        status, text = self.status, json.dumps(page)
        return type("Response", (), {"status_code": status, "text": text, "json": lambda _: page})()


def _function(name: str, state: str, obj: str, updated: str) -> dict[str, Any]:
    return {
        "name": f"projects/p/locations/us-central1/functions/{name}",
        "state": state,
        "updateTime": updated,
        "buildConfig": {"source": {"storageSource": {"bucket": "b", "object": obj}}},
        "stateMessages": [{"message": "build failed"}] if state != "ACTIVE" else [],
    }


def test_cloud_inventory_reads_state_source_and_update_time_over_pages() -> None:
    session = RecordedSession(
        [
            {
                "functions": [
                    _function("fanout", "ACTIVE", "f/a.zip", "2025-06-20T10:00:00.123456789Z")
                ],
                "nextPageToken": "t2",
            },
            {
                "functions": [
                    _function("predict-v1-baseline", "FAILED", "f/b.zip", "2025-06-20T11:00:00Z")
                ]
            },
        ]
    )
    names = {"predict_v1_baseline": "predict-v1-baseline"}
    inventory = CloudInventory("p", "us-central1", names, session)
    found = inventory.functions()
    assert session.calls[0][0].endswith("/v2/projects/p/locations/us-central1/functions")
    assert session.calls[1][1]["pageToken"] == "t2"
    assert found["fanout"].ready and found["fanout"].source == "f/a.zip"
    assert not found["predict_v1_baseline"].ready
    assert found["predict_v1_baseline"].detail == "predict-v1-baseline FAILED: build failed"
    assert inventory.deploy_time() == dt.datetime(2025, 6, 20, 11, tzinfo=dt.UTC)


def test_cloud_inventory_names_an_api_error() -> None:
    inventory = CloudInventory("p", "r", {}, RecordedSession([{"error": "denied"}], status=403))
    with pytest.raises(RuntimeError, match="HTTP 403"):
        inventory.functions()


def test_stack_inventory_lists_only_function_processes(tmp_path: Path) -> None:
    me = os.getpgid(0)  # a live process group: this test's own
    info = StackInfo(
        project="p",
        pubsub_host="h",
        bigquery_endpoint="e",
        storage_host="s",
        dataset="d",
        bucket="b",
        feature_warehouse="f",
        processes={
            "pubsub-emulator": StackProcess("pubsub-emulator", me, 1, "log", 0.0),
            "fanout": StackProcess("fanout", me, 2, "log", 0.0, "abc"),
            "ensemble": StackProcess("ensemble", me, 3, "log", 0.0, "abc"),
            "ensemble_tick": StackProcess("ensemble_tick", 2**22 + 7, 4, "log", 0.0, "abc"),
        },
        started_at="2025-06-20T12:00:00+00:00",
    )
    inventory = StackInventory(info, probe=lambda port: None if port == 2 else "no answer")
    found = inventory.functions()
    assert sorted(found) == ["ensemble", "ensemble_tick", "fanout"]
    assert found["fanout"].ready and found["fanout"].source == "abc"
    assert not found["ensemble"].ready and found["ensemble"].detail == "no answer"
    assert not found["ensemble_tick"].ready and "is not running" in found["ensemble_tick"].detail
    assert inventory.deploy_time() == dt.datetime(2025, 6, 20, 12, tzinfo=dt.UTC)
