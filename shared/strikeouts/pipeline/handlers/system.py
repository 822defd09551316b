"""A system's handler: a Predictor behind a real circuit breaker, plus the shared post-processing.

Every valid pitcher-game addressed to the system yields exactly one system-prediction:
``ok``, ``skip`` (a skip red flag, with reason) or ``error`` (the predictor failed, or the
breaker is open and the predictor is not called at all), so the ensemble never waits for
a system that cannot answer.

:meth:`SystemHandler.prepare` lets a transport that sees several messages at once (the
embedded bus) predict them in one call of a predictor offering ``predict_many``. It decodes
and validates each payload as the handler would and keeps the outcomes by payload; the
handler then takes the prepared outcome of its payload, still one message at a time through
the breaker, so each message is answered, rejected or failed exactly as it would be alone.

Shadowing: when the handler has a challenger (a callable giving the system's ``challenger``
model, or None when it has none or it is the champion's version), each pitcher-game is also
predicted by it AFTER the champion's result is published, and that result goes out with
``model_alias='challenger'`` (payload and attribute). Nothing the challenger does (raise,
load, fail) reaches the champion's result or its breaker: a failing challenger publishes an
``error`` result of its own and logs why.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from strikeouts.logs import get_logger
from strikeouts.names import CHALLENGER, SYSTEM_PREDICTIONS
from strikeouts.pipeline.assessment import assess, base_confidence, favoured_side, scaled
from strikeouts.pipeline.breaker import BreakerState, CircuitBreaker
from strikeouts.pipeline.clock import Clock, to_iso
from strikeouts.pipeline.config import PipelineConfig
from strikeouts.pipeline.messages import SCHEMA_VERSION, Payload, decode
from strikeouts.pipeline.payloads import PitcherGameMessage, SystemPredictionMessage
from strikeouts.pipeline.ports import Predictor, Publisher, SystemResult

log = get_logger(__name__)

Outcome = SystemResult | Exception
"""What the predictor gave for one message: its result or what it raised."""
Challenger = Callable[[], Predictor | None]
"""The system's challenger now (None: no shadowing), asked once per pitcher-game."""


class SystemHandler:
    """Handler of ``pitcher-games`` for one system (one instance per process)."""

    def __init__(
        self,
        predictor: Predictor,
        publisher: Publisher,
        config: PipelineConfig,
        clock: Clock,
        breaker: CircuitBreaker | None = None,
        challenger: Challenger | None = None,
    ) -> None:
        self.predictor = predictor
        self.challenger = challenger
        self.publisher = publisher
        self.config = config
        self.clock = clock
        self.breaker = breaker or CircuitBreaker(
            config.breaker_failure_threshold,
            config.breaker_cooldown_seconds,
            clock,
            name=predictor.system_id,
        )
        self._prepared: dict[bytes, tuple[PitcherGameMessage, Outcome]] = {}

    def prepare(self, payloads: Sequence[bytes]) -> None:
        """Predict the valid, addressed ``payloads`` in one batch for the calls that follow.

        Only a hint: nothing is published, and a payload that fails to decode is left for its
        own call to reject. Done only while the breaker is closed (a tripped dependency is not
        called in bulk) and only for predictors that offer ``predict_many``.
        """
        self._prepared = {}
        predict_many: Callable[[Sequence[PitcherGameMessage]], list[Outcome]] | None = getattr(
            self.predictor, "predict_many", None
        )
        if predict_many is None or self.breaker.state is not BreakerState.CLOSED:
            return
        batch: dict[bytes, PitcherGameMessage] = {}
        for payload in payloads:
            try:
                message = decode("pitcher-game", payload, self.config.max_message_bytes)
            except Exception:  # the payload's own delivery rejects it and says why
                continue
            if self.system_id in message["header"]["expected_systems"]:
                batch[payload] = message
        if not batch:
            return
        try:
            outcomes = predict_many(list(batch.values()))
        except Exception as exc:  # the calls then predict one by one, as without a batch
            log.warning("batch predict failed", system_id=self.system_id, error=repr(exc))
            return
        self._prepared = dict(zip(batch, zip(batch.values(), outcomes, strict=True), strict=True))

    @property
    def system_id(self) -> str:
        return self.predictor.system_id

    def __call__(self, payload: Payload) -> SystemPredictionMessage | None:
        """Predict one pitcher-game and publish the result; None if the run did not ask for us."""
        prepared = self._prepared.pop(payload, None) if isinstance(payload, bytes) else None
        if prepared is None:
            message = decode("pitcher-game", payload, self.config.max_message_bytes)
            outcome: Outcome | None = None
        else:
            message, outcome = prepared
        if self.system_id not in message["header"]["expected_systems"]:
            log.info("system not expected for this run", system_id=self.system_id)
            return None
        result = self._predict(message, outcome)
        out = self._result_message(message, result, self.predictor)
        self.publisher.publish(SYSTEM_PREDICTIONS, out, self._attributes(message))
        if self.challenger is not None:
            self._shadow(self.challenger, message, out.get("model_version"))
        return out

    def _attributes(self, message: PitcherGameMessage, **extra: str) -> dict[str, str]:
        header = message["header"]
        return {
            "run_id": header["run_id"],
            "game_id": header["game_id"],
            "pitcher_id": str(header["pitcher_id"]),
            "system_id": self.system_id,
            **extra,
        }

    def _shadow(
        self, current: Challenger, message: PitcherGameMessage, champion_version: str | None
    ) -> None:
        """Predict with the challenger and publish its result as a shadow (never raises
        because of the challenger: the champion's result is already out)."""
        try:
            challenger = current()
        except Exception as exc:
            log.error("challenger unavailable", system_id=self.system_id, error=repr(exc))
            return
        if challenger is None or challenger.model_version == champion_version:
            return
        try:
            result = self._post_process(message, challenger.predict(message))
        except Exception as exc:
            log.error("challenger failed", system_id=self.system_id, error=repr(exc))
            reason = f"challenger {type(exc).__name__}: {exc}"[:2000]
            result = SystemResult(None, status="error", reason=reason)
        out = self._result_message(message, result, challenger)
        out["model_alias"] = CHALLENGER
        attributes = self._attributes(message, model_alias=CHALLENGER)
        self.publisher.publish(SYSTEM_PREDICTIONS, out, attributes)

    def _predict(
        self, message: PitcherGameMessage, prepared: Outcome | None = None
    ) -> SystemResult:
        """The predictor's answer behind the breaker (``prepared``: what it gave in a batch)."""
        if not self.breaker.allow():
            return SystemResult(
                None,
                status="error",
                reason=f"circuit open after {self.breaker.consecutive_failures} failures",
            )
        try:
            if isinstance(prepared, Exception):
                raise prepared
            result = self.predictor.predict(message) if prepared is None else prepared
        except Exception as exc:
            self.breaker.record_failure()
            log.warning("predictor failed", system_id=self.system_id, error=repr(exc))
            return SystemResult(None, status="error", reason=f"{type(exc).__name__}: {exc}"[:2000])
        self.breaker.record_success()
        return self._post_process(message, result)

    def _post_process(self, message: PitcherGameMessage, result: SystemResult) -> SystemResult:
        """Shared red flags and 0-100 confidence; p_over only exists against a line."""
        if result.status == "error":
            return result
        features = message["features"]
        assessment = assess(features, self.config)
        has_line = message["header"]["line"] is not None
        p_over = result.p_over if has_line else None
        coverage = message["feature_coverage"].get(self.predictor.feature_set)
        base = (
            result.confidence
            if result.confidence is not None
            else base_confidence(p_over, coverage)
        )
        multiplier = assessment.multiplier(favoured_side(p_over)) if p_over is not None else 1.0
        flags = tuple(dict.fromkeys((*result.red_flags, *assessment.red_flags)))
        skip_reason = (
            (result.reason or "skipped by the system")
            if result.status == "skip"
            else assessment.skip_reason
        )
        return SystemResult(
            predicted_strikeouts=result.predicted_strikeouts,
            p_over=p_over,
            # a skipped row claims nothing about a side
            confidence=None if skip_reason else scaled(base, multiplier, self.config),
            red_flags=flags,
            status="skip" if skip_reason else "ok",
            # an ok result may say how it was made (an anchored system without its line)
            reason=skip_reason or result.reason,
            base_confidence=None if skip_reason else base,
            multiplier=None if skip_reason or base is None else multiplier,
            model_version=result.model_version,
            predicted_median=result.predicted_median,
            count_dispersion=result.count_dispersion,
            train_end=result.train_end,
        )

    def _result_message(
        self, message: PitcherGameMessage, result: SystemResult, predictor: Predictor
    ) -> SystemPredictionMessage:
        feature_set = predictor.feature_set
        return {
            "schema_version": SCHEMA_VERSION,
            "message_type": "system-prediction",
            "header": message["header"],
            "system_id": self.system_id,
            # the version that answered, when known: an alias may move between two calls
            "model_version": result.model_version or predictor.model_version,
            "model_alias": predictor.model_alias,
            # with the version that answered: what it was fitted on (marks in-sample rows)
            "train_end": None if result.train_end is None else result.train_end.isoformat(),
            "feature_set": feature_set,
            "feature_set_version": message["feature_set_versions"].get(feature_set),
            "feature_coverage": message["feature_coverage"].get(feature_set),
            "status": result.status,
            "reason": result.reason,
            "predicted_strikeouts": result.predicted_strikeouts,
            "predicted_median": result.predicted_median,
            "count_dispersion": result.count_dispersion,
            "p_over": result.p_over,
            "confidence": result.confidence,
            "base_confidence": result.base_confidence,
            "confidence_multiplier": result.multiplier,
            "red_flags": list(result.red_flags),
            "produced_at": to_iso(self.clock.now()),
        }
