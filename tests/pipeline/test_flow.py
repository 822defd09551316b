"""End to end on the in-process bus and a real DuckDB warehouse: fallbacks, deadlines, idempotence."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from strikeouts.names import ENSEMBLE_TICKS, GAME_SCHEDULE
from strikeouts.pipeline.bus import FaultPlan
from strikeouts.pipeline.clock import FakeClock
from strikeouts.pipeline.config import PipelineConfig
from strikeouts.warehouse.duckdb_backend import DuckDBWarehouse

from .conftest import PipelineFactory
from .doubles import StubPredictor, schedule_event, two_system_config, two_systems

KEY = ["run_id", "game_id", "pitcher_id", "system_id"]


def predictions(warehouse: DuckDBWarehouse, view: bool = False) -> pd.DataFrame:
    table = "pitcher_strikeout_predictions" + ("_latest" if view else "")
    return warehouse.query(f"SELECT * FROM {table} ORDER BY run_id, game_id, pitcher_id, system_id")


def ensemble_rows(warehouse: DuckDBWarehouse) -> pd.DataFrame:
    frame = predictions(warehouse)
    return frame[frame["system_id"] == "ensemble_v1"].reset_index(drop=True)


def test_all_systems_report_and_the_ensemble_combines(
    make_pipeline: PipelineFactory, warehouse: DuckDBWarehouse, clock: FakeClock
) -> None:
    pipe = make_pipeline(two_systems(6.0, 7.0))
    pipe.bus.publish(GAME_SCHEDULE, schedule_event(clock))
    pipe.bus.run()
    frame = predictions(warehouse)
    assert len(frame) == 2 * 3  # two starters × (two systems + ensemble)
    ens = ensemble_rows(warehouse)
    assert ens["status"].tolist() == ["ok", "ok"]
    assert ens["predicted_strikeouts"].tolist() == pytest.approx([6.625, 6.625])
    assert ens["p_over"].tolist() == pytest.approx([0.3 / 0.8 * 0.55 + 0.5 / 0.8 * 0.65] * 2)
    assert ens["recommendation"].tolist() == ["OVER", "OVER"]  # 6.625 − 5.5 ≥ 0.5, p_over > 0.5
    assert list(ens.loc[0, "contributing_systems"]) == ["v1_6_rolling", "v1_baseline"]
    assert list(ens.loc[0, "missing_systems"]) == []
    assert ens["fallback_reason"].isna().all()


def test_rollout_phase_without_the_ensemble_writes_only_the_expected_systems_rows(
    make_pipeline: PipelineFactory, warehouse: DuckDBWarehouse, clock: FakeClock
) -> None:
    """Phase 1 of the rollout: one system expected, no ensemble row; replays add nothing."""
    cfg = two_system_config(expected_systems=["v1_baseline"], write_ensemble=False)
    pipe = make_pipeline(two_systems(6.0, 7.0)[:1], cfg=cfg)
    event = schedule_event(clock, expected=["v1_baseline"])
    pipe.bus.publish(GAME_SCHEDULE, event)
    pipe.bus.run()
    frame = predictions(warehouse)
    assert frame["system_id"].tolist() == ["v1_baseline", "v1_baseline"]
    assert frame["status"].tolist() == ["ok", "ok"]
    pipe.bus.publish(GAME_SCHEDULE, event)
    pipe.bus.run()
    assert len(predictions(warehouse)) == 2


def test_fallback_with_one_system_failing(
    make_pipeline: PipelineFactory, warehouse: DuckDBWarehouse, clock: FakeClock
) -> None:
    systems = two_systems(6.0, 7.0)
    systems[1].fail = True
    pipe = make_pipeline(systems)
    pipe.bus.publish(GAME_SCHEDULE, schedule_event(clock))
    pipe.bus.run()
    ens = ensemble_rows(warehouse)
    # The error result finalizes at once: no tick, no deadline wait.
    assert ens["status"].tolist() == ["fallback", "fallback"]
    assert ens["predicted_strikeouts"].tolist() == pytest.approx([6.0, 6.0])  # renormalized
    assert list(ens.loc[0, "contributing_systems"]) == ["v1_baseline"]
    assert list(ens.loc[0, "missing_systems"]) == ["v1_6_rolling"]
    assert "v1_6_rolling: error" in ens.loc[0, "fallback_reason"]
    rolling = predictions(warehouse).query("system_id == 'v1_6_rolling'")
    assert rolling["status"].tolist() == ["error", "error"]
    assert rolling["status_reason"].str.contains("model exploded").all()


def test_fallback_with_zero_systems_reporting_is_finalized_by_tick_alone(
    make_pipeline: PipelineFactory,
    warehouse: DuckDBWarehouse,
    clock: FakeClock,
    config: PipelineConfig,
) -> None:
    # No system subscribed at all: only the ensemble's registration sees the pitcher-games.
    pipe = make_pipeline([])
    pipe.bus.publish(GAME_SCHEDULE, schedule_event(clock))
    pipe.bus.run()
    assert predictions(warehouse).empty
    assert pipe.ensemble.tick() == []  # before the deadline nothing is due
    clock.advance(config.deadline_seconds)
    pipe.bus.publish(ENSEMBLE_TICKS, {"schema_version": 1, "message_type": "ensemble-tick"})
    pipe.bus.run()
    ens = ensemble_rows(warehouse)
    assert ens["status"].tolist() == ["fallback", "fallback"]
    assert ens["predicted_strikeouts"].isna().all()
    assert ens["fallback_reason"].tolist() == ["no system reported"] * 2
    assert list(ens.loc[0, "missing_systems"]) == ["v1_6_rolling", "v1_baseline"]
    assert pipe.ensemble.tick() == []  # finalized and written: nothing left due


def test_deadline_fallback_with_one_system_and_late_result_recorded_without_refinalizing(
    make_pipeline: PipelineFactory,
    warehouse: DuckDBWarehouse,
    clock: FakeClock,
    config: PipelineConfig,
) -> None:
    baseline, rolling = two_systems(6.0, 7.0)
    pipe = make_pipeline([baseline])  # rolling is slow: it answers after the deadline
    pipe.bus.publish(GAME_SCHEDULE, schedule_event(clock))
    pipe.bus.run()
    assert ensemble_rows(warehouse).empty  # waiting for v1_6_rolling
    clock.advance(config.deadline_seconds + 1)
    finalized = pipe.ensemble.tick()
    assert len(finalized) == 2
    ens = ensemble_rows(warehouse)
    assert ens["predicted_strikeouts"].tolist() == pytest.approx([6.0, 6.0])
    assert ens["fallback_reason"].str.startswith("deadline passed; v1_6_rolling: no result").all()

    # The slow system now answers the same pitcher-games.
    late = make_pipeline([rolling])
    for envelope in [e for e in pipe.bus.published if e.topic == "pitcher-games"]:
        late.systems["v1_6_rolling"](envelope.data)
    for envelope in [e for e in late.bus.published if e.topic == "system-predictions"]:
        pipe.ensemble.on_result(envelope.data)
    frame = predictions(warehouse)
    assert len(frame) == 6
    late_rows = frame[frame["system_id"] == "v1_6_rolling"]
    assert late_rows["late"].tolist() == [True, True]
    after = ensemble_rows(warehouse)
    pd.testing.assert_frame_equal(after, ens)  # not re-finalized


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_duplicates_reordering_and_delays_write_exactly_one_row_per_key(
    make_pipeline: PipelineFactory, warehouse: DuckDBWarehouse, clock: FakeClock, seed: int
) -> None:
    faults = FaultPlan(seed=seed, duplicate=0.4, reorder=0.6, delay=0.3, max_delay_steps=4)
    pipe = make_pipeline(two_systems(6.0, 7.0), faults=faults)
    pipe.bus.publish(GAME_SCHEDULE, schedule_event(clock, games=3))
    pipe.bus.run()
    outcomes = {r.outcome for r in pipe.bus.history}
    assert {"ack", "delayed"} <= outcomes
    deliveries = [(r.subscription, r.message_id) for r in pipe.bus.history if r.outcome == "ack"]
    assert len(deliveries) > len(set(deliveries))  # some messages really were delivered twice
    frame = predictions(warehouse)
    assert len(frame) == 6 * 3
    assert not frame.duplicated(KEY).any()
    ens = ensemble_rows(warehouse)
    assert ens["status"].eq("ok").all()
    assert ens["predicted_strikeouts"].tolist() == pytest.approx([6.625] * 6)


def test_transient_failures_are_retried_then_dead_lettered(
    make_pipeline: PipelineFactory, warehouse: DuckDBWarehouse, clock: FakeClock
) -> None:
    pipe = make_pipeline(two_systems(), faults=FaultPlan(seed=5, fail=0.3))
    pipe.bus.publish(GAME_SCHEDULE, schedule_event(clock, games=2))
    pipe.bus.run()
    assert any(r.outcome == "retry" for r in pipe.bus.history)
    # With retries every message eventually got through.
    assert len(predictions(warehouse)) == 12

    always = make_pipeline([], faults=FaultPlan(seed=1, fail=1.0))
    always.bus.publish(GAME_SCHEDULE, schedule_event(clock, run_id="run-dl"))
    always.bus.run()
    [dead] = always.bus.dead_letters
    assert dead.subscription == "fanout"
    assert dead.attempts == two_system_config().max_delivery_attempts
    assert b'"run-dl"' in dead.payload
    assert "injected transient failure" in dead.reason
    attempts = [r for r in always.bus.history if r.message_id == dead.message_id]
    assert [r.outcome for r in attempts] == ["retry"] * (dead.attempts - 1) + ["dead-letter"]
    assert warehouse.row_count("rejected_messages") == 0  # transient ≠ poison


def test_a_handler_that_keeps_failing_is_dead_lettered(
    make_pipeline: PipelineFactory, clock: FakeClock
) -> None:
    class BrokenFeatures:
        calls = 0

        def snapshot(self, *_: object) -> object:
            self.calls += 1
            raise ConnectionError("warehouse unreachable")

    features = BrokenFeatures()
    pipe = make_pipeline(two_systems(), features=features)  # type: ignore[arg-type]
    pipe.bus.publish(GAME_SCHEDULE, schedule_event(clock))
    pipe.bus.run()
    [dead] = pipe.bus.dead_letters
    assert features.calls == two_system_config().max_delivery_attempts
    assert "ConnectionError: warehouse unreachable" in dead.reason


POISON = [
    (b"{not json", "not valid JSON"),
    (b'{"schema_version": 1, "message_type": "game-schedule"}', "is a required property"),
    (b'{"schema_version": 2, "message_type": "game-schedule"}', "schema_version=2"),
    (b"[1, 2]", "must be a JSON object"),
    (b'{"schema_version": 1, "x": NaN}', "not a valid JSON number"),
]


@pytest.mark.parametrize(("payload", "reason"), POISON)
def test_poison_messages_are_rejected_with_raw_payload_and_not_retried(
    make_pipeline: PipelineFactory,
    warehouse: DuckDBWarehouse,
    clock: FakeClock,
    payload: bytes,
    reason: str,
) -> None:
    pipe = make_pipeline(two_systems())
    pipe.bus.publish_raw(GAME_SCHEDULE, payload)
    pipe.bus.publish_raw(GAME_SCHEDULE, payload)  # the same poison twice: one row
    pipe.bus.run()
    assert [r.outcome for r in pipe.bus.history] == ["rejected", "rejected"]
    assert pipe.bus.dead_letters == []
    rejected = warehouse.query("SELECT * FROM rejected_messages")
    assert len(rejected) == 1
    assert rejected.loc[0, "raw_payload"] == payload.decode()
    assert reason in rejected.loc[0, "reason"]
    assert rejected.loc[0, "handler"] == "fanout"
    assert rejected.loc[0, "topic"] == GAME_SCHEDULE


def test_out_of_range_values_are_rejected_naming_field_and_value(
    make_pipeline: PipelineFactory, warehouse: DuckDBWarehouse, clock: FakeClock
) -> None:
    pipe = make_pipeline(two_systems())
    event = schedule_event(clock)
    event["games"][0]["starters"][0]["line"]["line"] = 45.5
    pipe.bus.publish_raw(GAME_SCHEDULE, json.dumps(event).encode())
    result = schedule_event(clock)
    pipe.bus.publish(GAME_SCHEDULE, result)
    pipe.bus.run()
    [reason] = warehouse.query("SELECT reason FROM rejected_messages")["reason"].tolist()
    assert "$.games[0].starters[0].line.line = 45.5" in reason
    # A result from a system the run did not expect is poison for the ensemble.
    pg = next(e for e in pipe.bus.published if e.topic == "pitcher-games")
    stranger = StubPredictor("v9_unknown", 5.0)
    other = make_pipeline([stranger], cfg=two_system_config(expected_systems=["v9_unknown"]))
    message = json.loads(pg.data)
    message["header"]["expected_systems"] = ["v9_unknown"]
    other.systems["v9_unknown"](message)
    [sp] = [e for e in other.bus.published if e.topic == "system-predictions"]
    forged = json.loads(sp.data)
    forged["header"]["expected_systems"] = ["v1_baseline", "v1_6_rolling"]
    pipe.bus.publish("system-predictions", forged)
    pipe.bus.run()
    reasons = warehouse.query("SELECT handler, reason FROM rejected_messages ORDER BY handler")
    assert reasons.loc[0, "handler"] == "ensemble"
    assert "UnknownSystem: system_id='v9_unknown'" in reasons.loc[0, "reason"]


def test_replaying_a_run_writes_nothing_new_and_a_new_run_is_the_latest(
    make_pipeline: PipelineFactory, warehouse: DuckDBWarehouse, clock: FakeClock
) -> None:
    pipe = make_pipeline(two_systems(6.0, 7.0))
    event = schedule_event(clock, run_id="run-1")
    pipe.bus.publish(GAME_SCHEDULE, event)
    pipe.bus.run()
    first = predictions(warehouse)
    clock.advance(30)
    pipe.bus.publish(GAME_SCHEDULE, event)  # replay of the same run
    pipe.bus.run()
    pd.testing.assert_frame_equal(predictions(warehouse), first)

    clock.advance(3600)
    rerun = make_pipeline(two_systems(8.0, 8.4))
    rerun.bus.publish(GAME_SCHEDULE, schedule_event(clock, run_id="run-2"))
    rerun.bus.run()
    assert len(predictions(warehouse)) == 2 * len(first)
    latest = predictions(warehouse, view=True)
    assert len(latest) == len(first)
    assert set(latest["run_id"]) == {"run-2"}
    ens = latest[latest["system_id"] == "ensemble_v1"]
    assert ens["predicted_strikeouts"].tolist() == pytest.approx([(0.3 * 8 + 0.5 * 8.4) / 0.8] * 2)
