"""The function entry in-process (functions_framework test client): outcome mapping, lazy
instance set-up, dead-lettering, attributes and the structured log lines."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
import structlog
from pipeline.doubles import StubFeatures, StubPredictor, schedule_event

from strikeouts.cloud.entry import Services
from strikeouts.cloud.faults import InjectedFault
from strikeouts.cloud.functions import configured_system, entries, system_entry
from strikeouts.logs import configure
from strikeouts.models.systems import system_ids
from strikeouts.names import ENSEMBLE_TICKS, PITCHER_GAMES, SYSTEM_PREDICTIONS
from strikeouts.pipeline.errors import StateConflict
from strikeouts.pipeline.handlers import Fanout, SystemHandler
from strikeouts.settings import get_settings

from .conftest import AppFactory
from .doubles import FlushRecorder, post


def stub_system(system_id: str, predicted: float, fail: bool = False) -> Any:
    def build(services: Services) -> SystemHandler:
        predictor = StubPredictor(system_id, predicted, p_over=0.6, fail=fail)
        return SystemHandler(predictor, services.publisher, services.config, services.clock)

    return build


def stub_fanout(services: Services) -> Fanout:
    return Fanout(StubFeatures(), services.publisher, services.config)


def pitcher_games(
    function_client: AppFactory, recorder: FlushRecorder, event: dict[str, Any]
) -> list[bytes]:
    client = function_client("fanout", stub_fanout)
    response = post(client, "game-schedule", json.dumps(event).encode(), {"run_id": "r"})
    assert response.status_code == 200, response.data
    return [s.data for s in recorder.on(PITCHER_GAMES)]


def test_fanout_publishes_one_message_per_starter_with_routing_attributes(
    function_client: AppFactory, recorder: FlushRecorder, clock: Any
) -> None:
    event = schedule_event(clock, games=2)
    sent = pitcher_games(function_client, recorder, event)
    assert len(sent) == 4
    first = recorder.on(PITCHER_GAMES)[0]
    assert first.attributes["run_id"] == "run-1"
    assert first.attributes["pitcher_id"] == str(first.message["header"]["pitcher_id"])
    assert first.attributes["game_id"] == first.message["header"]["game_id"]


def test_system_function_answers_and_carries_the_trace(
    function_client: AppFactory, recorder: FlushRecorder, clock: Any
) -> None:
    payload = pitcher_games(function_client, recorder, schedule_event(clock))[0]
    client = function_client("predict_v1_baseline", stub_system("v1_baseline", 6.0))
    response = post(client, PITCHER_GAMES, payload, {"trace_id": "abc123"})
    assert response.status_code == 200
    results = recorder.on(SYSTEM_PREDICTIONS)
    assert len(results) == 1
    assert results[0].attributes["system_id"] == "v1_baseline"
    assert results[0].attributes["trace_id"] == "abc123"
    assert results[0].message["predicted_strikeouts"] == 6.0


def test_poison_message_is_recorded_and_acknowledged(
    function_client: AppFactory, recorder: FlushRecorder, warehouse: Any
) -> None:
    client = function_client("predict_v1_baseline", stub_system("v1_baseline", 6.0))
    for _ in range(2):  # the same poison twice is one rejection row, and never a retry
        response = post(client, PITCHER_GAMES, b'{"schema_version": 1, "header": 7}', {}, "m-1")
        assert response.status_code == 200
    rows = warehouse.query("SELECT handler, topic, message_id, reason FROM rejected_messages")
    assert rows.to_dict("records") == [
        {
            "handler": "predict_v1_baseline",
            "topic": PITCHER_GAMES,
            "message_id": "m-1",
            "reason": rows["reason"][0],
        }
    ]
    assert "pitcher-game" in rows["reason"][0]
    assert recorder.sent == []


def test_the_warehouse_is_opened_on_the_first_rejection_not_before(
    function_client: AppFactory, recorder: FlushRecorder, clock: Any, services: Services
) -> None:
    """A system function rarely rejects: its first request must not pay for the warehouse."""
    opened = []
    factory = services.warehouse_factory
    assert factory is not None

    def counting(settings: Any) -> Any:
        opened.append(1)
        return factory(settings)

    services.warehouse_factory = counting
    payload = pitcher_games(function_client, recorder, schedule_event(clock))[0]
    client = function_client("predict_v1_baseline", stub_system("v1_baseline", 6.0))
    for _ in range(3):
        assert post(client, PITCHER_GAMES, payload).status_code == 200
    assert opened == []
    assert post(client, PITCHER_GAMES, b"{}", {}, "m-poison").status_code == 200
    assert opened == [1]
    assert post(client, PITCHER_GAMES, b"[]", {}, "m-poison-2").status_code == 200
    assert opened == [1]  # opened once per instance


def test_envelope_without_base64_data_is_rejected_not_retried(
    function_client: AppFactory, warehouse: Any
) -> None:
    client = function_client("ensemble_tick")
    body = {"message": {"data": "%%% not base64", "messageId": "m-9"}, "subscription": "s"}
    headers = {
        "ce-id": "m-9",
        "ce-specversion": "1.0",
        "ce-type": "google.cloud.pubsub.topic.v1.messagePublished",
        "ce-source": "//pubsub.googleapis.com/projects/p/topics/ensemble-ticks",
        "Content-Type": "application/json",
    }
    response = client.post("/", headers=headers, data=json.dumps(body))
    assert response.status_code == 200
    reasons = warehouse.query("SELECT reason FROM rejected_messages")["reason"].tolist()
    assert len(reasons) == 1 and "base64" in reasons[0]


def test_unreachable_pubsub_is_never_acknowledged_and_recovers(
    function_client: AppFactory, recorder: FlushRecorder, clock: Any
) -> None:
    payload = pitcher_games(function_client, recorder, schedule_event(clock))[0]
    recorder.sent.clear()
    client = function_client("predict_v1_baseline", stub_system("v1_baseline", 6.0))
    recorder.fail_flushes = 7  # all flushes of 3 attempts fail: 2 each + the dead letter
    codes = [post(client, PITCHER_GAMES, payload, {}, "m-7").status_code for _ in range(3)]
    assert codes == [500, 500, 500]  # not even the dead letter got out: keep retrying
    assert post(client, PITCHER_GAMES, payload, {}, "m-7").status_code == 200
    assert [s.topic for s in recorder.sent] == [SYSTEM_PREDICTIONS]


@pytest.mark.parametrize(
    ("failure", "traceback_logged"),
    [
        (StateConflict("lost a race (HTTP 412)"), False),  # expected: retried quietly
        (InjectedFault("injected transient failure"), False),
        (KeyError("a bug"), True),  # unexpected: the framework logs its traceback as before
    ],
)
def test_a_retried_delivery_logs_a_traceback_only_when_unexpected(
    function_client: AppFactory,
    caplog: pytest.LogCaptureFixture,
    failure: Exception,
    traceback_logged: bool,
) -> None:
    def failing(services: Services) -> Any:
        def handle(payload: bytes) -> None:
            raise failure

        return handle

    client = function_client("ensemble_tick", failing)
    tick = json.dumps({"schema_version": 1, "message_type": "ensemble-tick"}).encode()
    with caplog.at_level(logging.ERROR):
        response = post(client, ENSEMBLE_TICKS, tick, {"run_id": "r8"}, "t-8")
    assert response.status_code == 500  # retried either way
    assert any(r.exc_info for r in caplog.records) is traceback_logged


def test_dead_letter_carries_payload_reason_and_attempts(
    function_client: AppFactory, recorder: FlushRecorder
) -> None:
    def exploding(services: Services) -> Any:
        def handle(payload: bytes) -> None:
            raise TimeoutError("warehouse did not answer")

        return handle

    client = function_client("ensemble_tick", exploding)
    tick = json.dumps({"schema_version": 1, "message_type": "ensemble-tick"}).encode()
    codes = [
        post(client, ENSEMBLE_TICKS, tick, {"run_id": "r9"}, "t-1").status_code for _ in range(4)
    ]
    assert codes == [500, 500, 200, 200]
    letters = recorder.on("dead-letter")
    assert len(letters) == 2  # attempt 3 and the redelivery after it: both past the limit
    letter = letters[0]
    assert letter.data == tick
    assert letter.attributes["delivery_attempts"] == "3"
    assert letter.attributes["source_function"] == "ensemble_tick"
    assert letter.attributes["source_topic"] == ENSEMBLE_TICKS
    assert letter.attributes["run_id"] == "r9"
    assert "TimeoutError: warehouse did not answer" in letter.attributes["dead_letter_reason"]


def test_delivery_attempt_from_pubsub_takes_precedence(
    function_client: AppFactory, recorder: FlushRecorder
) -> None:
    def exploding(services: Services) -> Any:
        def handle(payload: bytes) -> None:
            raise TimeoutError("busy")

        return handle

    client = function_client("ensemble_tick", exploding)
    tick = json.dumps({"schema_version": 1, "message_type": "ensemble-tick"}).encode()
    from strikeouts.devstack.push import push_body, push_headers

    body = push_body(tick, {}, "t-2")
    body["deliveryAttempt"] = 5
    response = client.post("/", headers=push_headers(ENSEMBLE_TICKS, "t-2"), data=json.dumps(body))
    assert response.status_code == 200
    assert recorder.on("dead-letter")[0].attributes["delivery_attempts"] == "5"


def test_ensemble_function_writes_three_rows_once_despite_duplicates(
    function_client: AppFactory, recorder: FlushRecorder, clock: Any, warehouse: Any
) -> None:
    payload = pitcher_games(function_client, recorder, schedule_event(clock))[0]
    for system_id, predicted in (("v1_baseline", 6.0), ("v1_6_rolling", 7.0)):
        client = function_client(f"predict_{system_id}", stub_system(system_id, predicted))
        assert post(client, PITCHER_GAMES, payload).status_code == 200
    ensemble = function_client("ensemble")
    deliveries = [(PITCHER_GAMES, payload)] + [
        (SYSTEM_PREDICTIONS, s.data) for s in recorder.on(SYSTEM_PREDICTIONS)
    ]
    for topic, data in deliveries * 2:  # every message delivered twice
        assert post(ensemble, topic, data).status_code == 200
    rows = warehouse.query(
        "SELECT system_id, predicted_strikeouts, contributing_systems "
        "FROM pitcher_strikeout_predictions ORDER BY system_id"
    )
    assert rows["system_id"].tolist() == ["ensemble_v1", "v1_6_rolling", "v1_baseline"]
    assert rows["predicted_strikeouts"][0] == pytest.approx((0.3 * 6.0 + 0.5 * 7.0) / 0.8)


def test_tick_function_falls_back_after_the_deadline(
    function_client: AppFactory, recorder: FlushRecorder, clock: Any, warehouse: Any
) -> None:
    payload = pitcher_games(function_client, recorder, schedule_event(clock))[0]
    client = function_client("predict_v1_baseline", stub_system("v1_baseline", 6.0))
    assert post(client, PITCHER_GAMES, payload).status_code == 200
    ensemble = function_client("ensemble")
    assert post(ensemble, PITCHER_GAMES, payload).status_code == 200
    assert (
        post(ensemble, SYSTEM_PREDICTIONS, recorder.on(SYSTEM_PREDICTIONS)[0].data).status_code
        == 200
    )
    tick = json.dumps({"schema_version": 1, "message_type": "ensemble-tick"}).encode()
    ticker = function_client("ensemble_tick")
    assert post(ticker, ENSEMBLE_TICKS, tick).status_code == 200
    # deadline not passed: the result waits in the state, written with the outcome
    assert warehouse.row_count("pitcher_strikeout_predictions") == 0
    clock.advance(601)
    assert post(ticker, ENSEMBLE_TICKS, tick).status_code == 200
    assert warehouse.row_count("pitcher_strikeout_predictions") == 2
    row = warehouse.query(
        "SELECT missing_systems, fallback_reason FROM pitcher_strikeout_predictions "
        "WHERE system_id = 'ensemble_v1'"
    ).iloc[0]
    assert list(row["missing_systems"]) == ["v1_6_rolling"]
    assert "deadline passed" in row["fallback_reason"]


def test_handler_is_built_once_per_instance(
    function_client: AppFactory, recorder: FlushRecorder, clock: Any
) -> None:
    builds = []

    def counting(services: Services) -> Any:
        builds.append(1)
        return stub_system("v1_baseline", 6.0)(services)

    payload = pitcher_games(function_client, recorder, schedule_event(clock))[0]
    client = function_client("predict_v1_baseline", counting)
    for _ in range(3):
        assert post(client, PITCHER_GAMES, payload).status_code == 200
    assert len(builds) == 1


def test_log_lines_are_cloud_logging_json(
    function_client: AppFactory,
    recorder: FlushRecorder,
    clock: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    payload = pitcher_games(function_client, recorder, schedule_event(clock))[0]
    client = function_client("predict_v1_baseline", stub_system("v1_baseline", 6.0))
    previous = structlog.get_config()
    configure("json")
    try:
        capsys.readouterr()
        attrs = {"trace_id": "feedbeef", "run_id": "run-1", "pitcher_id": "600000", "game_id": "g"}
        assert post(client, PITCHER_GAMES, payload, attrs).status_code == 200
        lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line]
    finally:
        structlog.configure(**previous)
    handled = [line for line in lines if line["message"] == "delivery handled"]
    assert len(handled) == 1
    line = handled[0]
    assert line["severity"] == "INFO"
    assert line["logging.googleapis.com/trace"] == "projects/strikeouts-local/traces/feedbeef"
    assert line["logging.googleapis.com/labels"] == {
        "run_id": "run-1",
        "game_id": "g",
        "pitcher_id": "600000",
    }


@pytest.mark.parametrize(
    ("value", "said"), [(None, "is not set"), ("v0_gone", "='v0_gone' is not a registered")]
)
def test_a_system_function_without_a_registered_system_says_so(
    monkeypatch: pytest.MonkeyPatch, value: str | None, said: str
) -> None:
    """predict_system serves the system STRIKEOUTS_SYSTEM_ID names: none, or one the registry
    lacks, is a clear error naming the variable, the value and the registered systems."""
    if value is None:
        monkeypatch.delenv("STRIKEOUTS_SYSTEM_ID", raising=False)
    else:
        monkeypatch.setenv("STRIKEOUTS_SYSTEM_ID", value)
    get_settings.cache_clear()
    try:
        with pytest.raises(ValueError, match=f"STRIKEOUTS_SYSTEM_ID {said}") as raised:
            configured_system()
    finally:
        get_settings.cache_clear()
    assert all(s in str(raised.value) for s in system_ids())
    monkeypatch.setenv("STRIKEOUTS_SYSTEM_ID", "v1_baseline")
    get_settings.cache_clear()
    try:
        assert configured_system() == "v1_baseline"
        assert system_entry("v1_baseline") is entries()["predict_v1_baseline"]
    finally:
        get_settings.cache_clear()


def test_the_attempt_counter_is_opened_on_the_first_failure_not_before() -> None:
    """Opening the Cloud Storage counter imports and builds a storage client: a function that
    never fails must never pay for it, one that fails opens it once and keeps counting in it."""
    from strikeouts.cloud.attempts import MemoryAttemptCounter, OnFirstFailure

    opened: list[MemoryAttemptCounter] = []

    def open_counter() -> MemoryAttemptCounter:
        opened.append(MemoryAttemptCounter())
        return opened[-1]

    counter = OnFirstFailure(open_counter)
    assert opened == []
    assert counter.increment("fanout/t", "m1") == 1
    assert counter.increment("fanout/t", "m1") == 2
    assert counter.increment("fanout/t", "m2") == 1
    assert len(opened) == 1


def test_a_system_function_serves_without_pandas() -> None:
    """Starting any function imports neither pandas nor xgboost, and what a system function
    builds on its first request (model store, alias predictor, publisher) imports no pandas:
    importing it cost each system instance a large share of its cold start and, on a short
    replay, of its CPU (benchmarks/stack_replay.py --profile)."""
    import subprocess
    import sys

    def loaded(modules: list[str]) -> set[str]:
        code = "import sys\n" + "".join(f"import {m}\n" for m in modules)
        code += "print(','.join(m for m in ('pandas', 'xgboost') if m in sys.modules))\n"
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        return set(filter(None, out.stdout.strip().split(",")))

    assert loaded(["strikeouts.cloud.functions"]) == set()
    serving = [
        "strikeouts.cloud.functions",
        "strikeouts.adapters",
        "strikeouts.cloud.clients",
        "strikeouts.cloud.gcs_models",
        "strikeouts.cloud.pubsub",
        "strikeouts.cloud.attempts",
        "strikeouts.pipeline.handlers",
        "strikeouts.runtime.served",
    ]
    assert loaded(serving) == {"xgboost"}
