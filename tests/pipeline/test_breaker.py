"""The circuit breaker: real states and transitions, driven by a fake clock."""

from __future__ import annotations

from structlog.testing import capture_logs

from strikeouts.pipeline.breaker import BREAKER_EVENT, BreakerState, CircuitBreaker
from strikeouts.pipeline.clock import FakeClock
from strikeouts.pipeline.config import PipelineConfig
from strikeouts.pipeline.handlers import SystemHandler

from .doubles import Recorder, StubPredictor


def test_transitions(clock: FakeClock) -> None:
    breaker = CircuitBreaker(failure_threshold=3, cooldown_seconds=60, clock=clock)
    for _ in range(2):
        assert breaker.allow()
        breaker.record_failure()
    assert breaker.state is BreakerState.CLOSED
    breaker.record_failure()
    assert breaker.state is BreakerState.OPEN
    assert not breaker.allow()
    clock.advance(59)
    assert not breaker.allow()
    clock.advance(1)
    assert breaker.state is BreakerState.HALF_OPEN
    assert breaker.allow()  # the one trial
    assert not breaker.allow()  # no second trial while the first is in flight
    breaker.record_failure()
    assert breaker.state is BreakerState.OPEN  # a failed trial reopens at once
    clock.advance(60)
    assert breaker.allow()
    breaker.record_success()
    assert breaker.state is BreakerState.CLOSED
    assert breaker.consecutive_failures == 0


def test_a_success_resets_the_failure_count(clock: FakeClock) -> None:
    breaker = CircuitBreaker(failure_threshold=2, cooldown_seconds=10, clock=clock)
    breaker.record_failure()
    breaker.record_success()
    breaker.record_failure()
    assert breaker.state is BreakerState.CLOSED


def test_open_breaker_answers_error_without_calling_the_predictor(
    clock: FakeClock, config: PipelineConfig, pitcher_game: dict[str, object]
) -> None:
    predictor = StubPredictor("v1_baseline", 6.0, fail=True)
    publisher = Recorder()
    handler = SystemHandler(predictor, publisher, config, clock)
    threshold = config.breaker_failure_threshold
    for _ in range(threshold):
        handler(pitcher_game)
    assert predictor.calls == threshold
    assert handler.breaker.state is BreakerState.OPEN
    handler(pitcher_game)
    assert predictor.calls == threshold  # not called while open
    last = publisher.sent[-1]
    assert last["status"] == "error"
    assert "circuit open" in str(last["reason"])
    assert len(publisher.sent) == threshold + 1  # every message still got an answer

    clock.advance(config.breaker_cooldown_seconds)
    predictor.fail = False
    handler(pitcher_game)  # half-open trial succeeds
    assert predictor.calls == threshold + 1
    assert publisher.sent[-1]["status"] == "ok"
    assert handler.breaker.state is BreakerState.CLOSED


def test_every_transition_is_one_structured_event_and_opening_is_an_error(
    clock: FakeClock,
) -> None:
    """What the log-based metric strikeouts/breaker_opened counts (infra/monitoring.tf)."""
    breaker = CircuitBreaker(failure_threshold=2, cooldown_seconds=10, clock=clock, name="v1_x")
    with capture_logs() as logs:
        breaker.record_failure()
        breaker.record_failure()  # opens
        assert not breaker.allow()
        clock.advance(10)
        assert breaker.allow()  # half-open trial
        breaker.record_failure()  # reopens
        clock.advance(10)
        assert breaker.allow()
        breaker.record_success()  # closes
    events = [e for e in logs if e["event"] == BREAKER_EVENT]
    assert [(e["from_state"], e["to_state"], e["log_level"]) for e in events] == [
        ("closed", "open", "error"),
        ("open", "half_open", "info"),
        ("half_open", "open", "error"),
        ("open", "half_open", "info"),
        ("half_open", "closed", "info"),
    ]
    assert {e["breaker"] for e in events} == {"v1_x"}
    assert events[0]["consecutive_failures"] == 2 and events[0]["cooldown_seconds"] == 10
