"""A system's handler: a Predictor behind a real circuit breaker, plus the shared post-processing.

Every valid pitcher-game addressed to the system yields exactly one system-prediction:
``ok``, ``skip`` (a skip red flag, with reason) or ``error`` (the predictor failed, or the
breaker is open and the predictor is not called at all), so the ensemble never waits for
a system that cannot answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from strikeouts.logs import get_logger
from strikeouts.pipeline.assessment import assess, base_confidence, clamp_confidence
from strikeouts.pipeline.breaker import CircuitBreaker
from strikeouts.pipeline.clock import Clock, to_iso
from strikeouts.pipeline.config import PipelineConfig
from strikeouts.pipeline.messages import SCHEMA_VERSION, SYSTEM_PREDICTIONS, Payload, decode
from strikeouts.pipeline.ports import Predictor, Publisher, SystemResult

log = get_logger(__name__)


class SystemHandler:
    """Handler of ``pitcher-games`` for one system (one instance per process)."""

    def __init__(
        self,
        predictor: Predictor,
        publisher: Publisher,
        config: PipelineConfig,
        clock: Clock,
        breaker: CircuitBreaker | None = None,
    ) -> None:
        self.predictor = predictor
        self.publisher = publisher
        self.config = config
        self.clock = clock
        self.breaker = breaker or CircuitBreaker(
            config.breaker_failure_threshold, config.breaker_cooldown_seconds, clock
        )

    @property
    def system_id(self) -> str:
        return self.predictor.system_id

    def __call__(self, payload: Payload) -> dict[str, Any] | None:
        """Predict one pitcher-game and publish the result; None if the run did not ask for us."""
        message = decode("pitcher-game", payload, self.config.max_message_bytes)
        if self.system_id not in message["header"]["expected_systems"]:
            log.info("system not expected for this run", system_id=self.system_id)
            return None
        result = self._predict(message)
        out = self._result_message(message, result)
        header = message["header"]
        self.publisher.publish(
            SYSTEM_PREDICTIONS,
            out,
            {
                "run_id": header["run_id"],
                "game_id": header["game_id"],
                "pitcher_id": str(header["pitcher_id"]),
                "system_id": self.system_id,
            },
        )
        return out

    def _predict(self, message: Mapping[str, Any]) -> SystemResult:
        if not self.breaker.allow():
            return SystemResult(
                None,
                status="error",
                reason=f"circuit open after {self.breaker.consecutive_failures} failures",
            )
        try:
            result = self.predictor.predict(message)
        except Exception as exc:
            self.breaker.record_failure()
            log.warning("predictor failed", system_id=self.system_id, error=repr(exc))
            return SystemResult(None, status="error", reason=f"{type(exc).__name__}: {exc}"[:2000])
        self.breaker.record_success()
        return self._post_process(message, result)

    def _post_process(self, message: Mapping[str, Any], result: SystemResult) -> SystemResult:
        """Shared red flags and 0-100 confidence; p_over only exists against a line."""
        if result.status == "error":
            return result
        features = message["features"]
        assessment = assess(features, self.config)
        coverage = message["feature_coverage"].get(self.predictor.feature_set)
        confidence = (
            result.confidence
            if result.confidence is not None
            else base_confidence(features, coverage, self.config)
        )
        flags = tuple(dict.fromkeys((*result.red_flags, *assessment.red_flags)))
        skip_reason = (
            (result.reason or "skipped by the system")
            if result.status == "skip"
            else assessment.skip_reason
        )
        has_line = message["header"]["line"] is not None
        return SystemResult(
            predicted_strikeouts=result.predicted_strikeouts,
            p_over=result.p_over if has_line else None,
            confidence=clamp_confidence(confidence * assessment.multiplier),
            red_flags=flags,
            status="skip" if skip_reason else "ok",
            reason=skip_reason,
        )

    def _result_message(self, message: Mapping[str, Any], result: SystemResult) -> dict[str, Any]:
        feature_set = self.predictor.feature_set
        return {
            "schema_version": SCHEMA_VERSION,
            "message_type": "system-prediction",
            "header": message["header"],
            "system_id": self.system_id,
            "model_version": self.predictor.model_version,
            "model_alias": self.predictor.model_alias,
            "feature_set": feature_set,
            "feature_set_version": message["feature_set_versions"].get(feature_set),
            "feature_coverage": message["feature_coverage"].get(feature_set),
            "status": result.status,
            "reason": result.reason,
            "predicted_strikeouts": result.predicted_strikeouts,
            "p_over": result.p_over,
            "confidence": result.confidence,
            "red_flags": list(result.red_flags),
            "produced_at": to_iso(self.clock.now()),
        }
