"""The model-backed Predictor: one stored system, loaded once by alias, serving pitcher-games.

Invariant: a prediction is a pure function of the message and the loaded artifact. The
features are read by name in the model's own order (null -> NaN, as in training, never a
default), the count comes from the booster and P(over) from the system's own (calibrated) count
distribution with the header's line, so republishing a message reproduces the same prediction
exactly, alone or in a batch (:meth:`ModelPredictor.predict_many`), and equals
:meth:`TrainedSystem.predict` on the same features.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from strikeouts.errors import StrikeoutsError
from strikeouts.models.refs import ModelStoreError
from strikeouts.models.store import ModelStore
from strikeouts.models.systems import get_system
from strikeouts.models.training import MARKET_P_OVER, OPEN_LINE, TrainedSystem, load_system
from strikeouts.names import CHAMPION
from strikeouts.pipeline.payloads import PitcherGameMessage
from strikeouts.pipeline.ports import SystemResult

MAX_COUNT = 27.0
# The features TrainedSystem.p_over reads besides the mean and the line (its calibration).
MARKET = (OPEN_LINE, MARKET_P_OVER)


class FeatureMismatch(StrikeoutsError, ValueError):
    """A message built with another feature-set version than the model was trained on."""


class ModelUnavailable(ModelStoreError):
    """A system's model could not be loaded (missing, corrupt, not a model): it answers
    every pitcher-game with an ``error`` naming why, instead of stopping the slate."""


UNAVAILABLE = "unavailable"
"""The model version of a system whose model could not be loaded."""


class UnavailablePredictor:
    """:class:`~strikeouts.pipeline.ports.Predictor` of a system whose model did not load.

    Every call raises :class:`ModelUnavailable` with the load error, so the system handler
    answers ``error`` (its breaker opens after a few) and the ensemble falls back to the other
    systems at once: one system's broken artifact costs that system's rows, never the run.
    """

    def __init__(self, system_id: str, alias: str, error: Exception | str) -> None:
        self.system_id = system_id
        self.model_alias = alias
        self.model_version = UNAVAILABLE
        self.feature_set = get_system(system_id).feature_set
        self.error = str(error).splitlines()[0] if str(error) else type(error).__name__

    def predict(self, message: PitcherGameMessage) -> SystemResult:
        raise ModelUnavailable(f"{self.system_id}@{self.model_alias} not loadable: {self.error}")


def load_or_unavailable(
    store: ModelStore, system_id: str, alias: str = CHAMPION
) -> ModelPredictor | UnavailablePredictor:
    """``system_id@alias`` from the store, or an :class:`UnavailablePredictor` saying why not."""
    try:
        return ModelPredictor.from_store(store, system_id, alias)
    except (ModelStoreError, ValueError) as exc:  # xgboost's XGBoostError is a ValueError
        return UnavailablePredictor(system_id, alias, exc)


class ModelPredictor:
    """:class:`~strikeouts.pipeline.ports.Predictor` over a :class:`TrainedSystem`."""

    def __init__(self, system: TrainedSystem, alias: str = CHAMPION) -> None:
        self.system = system
        self.system_id = system.spec.system_id
        self.model_version = system.metadata.version or "unsaved"
        self.model_alias = alias
        self.feature_set = system.spec.feature_set
        self.feature_set_version = system.metadata.feature_set_version
        self.names = list(system.feature_names)

    @classmethod
    def from_store(cls, store: ModelStore, system_id: str, alias: str = CHAMPION) -> ModelPredictor:
        """Load ``system_id@alias`` once from the model store."""
        return cls(load_system(store, system_id, alias), alias)

    def features_row(self, features: Mapping[str, float | None]) -> np.ndarray[Any, Any]:
        """The message's features in the model's order, null -> NaN (absent name: an error)."""
        try:
            values = [features[name] for name in self.names]
        except KeyError as exc:
            raise FeatureMismatch(
                f"{self.system_id}: feature {exc.args[0]!r} is absent from the message"
            ) from None
        return np.array([[_number(v) for v in values]], dtype=np.float64)

    def predict(self, message: PitcherGameMessage) -> SystemResult:
        """Expected strikeouts and P(over the header's line) for one pitcher-game message."""
        row = self._row(message)
        return self._result(message, float(self.system.predict_matrix(row)[0]))

    def predict_many(
        self, messages: Sequence[PitcherGameMessage]
    ) -> list[SystemResult | Exception]:
        """:meth:`predict` of each message, the booster called once; a failure stays its own.

        Each row is predicted exactly as it is alone (trees are walked row by row), so the
        results equal one :meth:`predict` per message.
        """
        results: dict[int, SystemResult | Exception] = {}
        rows: list[np.ndarray[Any, Any]] = []
        for i, message in enumerate(messages):
            try:
                rows.append(self._row(message))
            except Exception as exc:  # a bad message fails alone, as in predict
                results[i] = exc
        if rows:
            ready = (i for i in range(len(messages)) if i not in results)
            means = self.system.predict_matrix(np.vstack(rows)).tolist()
            for i, mean in zip(list(ready), means, strict=True):
                try:
                    results[i] = self._result(messages[i], mean)
                except Exception as exc:
                    results[i] = exc
        return [results[i] for i in range(len(messages))]

    def _row(self, message: Mapping[str, Any]) -> np.ndarray[Any, Any]:
        version = message["feature_set_versions"].get(self.feature_set)
        if version != self.feature_set_version:
            raise FeatureMismatch(
                f"{self.system_id}: message has feature_set_versions[{self.feature_set!r}]="
                f"{version!r}, the model was trained on {self.feature_set_version!r}"
            )
        return self.features_row(message["features"])

    def _result(self, message: Mapping[str, Any], raw: float) -> SystemResult:
        line = message["header"]["line"]
        mean = min(max(self.served_mean(message["features"], raw), 0.0), MAX_COUNT)
        p = None if line is None else self.p_over_at(mean, float(line["line"]))
        return SystemResult(
            predicted_strikeouts=mean,
            p_over=p,
            model_version=self.model_version,
            predicted_median=self.system.median_one(mean),
            count_dispersion=self.system.alpha,
            reason=self._no_anchor(message["features"]),
            train_end=self.system.metadata.train_end,
        )

    def served_mean(self, features: Mapping[str, float | None], raw: float) -> float:
        """The mean of the system's calibrated count distribution around the booster's count,
        fed the market inputs it reads from the features."""
        open_line, market_p = (_number(features.get(name)) for name in MARKET)
        return self.system.served_mean_one(raw, open_line, market_p)

    def p_over_at(self, mean: float, line: float) -> float | None:
        """P(over ``line``) of the distribution with this (served) mean: any line, one law."""
        p = self.system.p_over_one(mean, line)
        return p if math.isfinite(p) else None

    def _no_anchor(self, features: Mapping[str, float | None]) -> str | None:
        """Why an anchored system answered from its features alone (no market mean)."""
        anchor = self.system.spec.anchor
        if anchor is None or math.isfinite(_number(features.get(anchor))):
            return None
        return f"no line: {self.system_id} predicted from its features alone (no {anchor})"


def _number(value: float | None) -> float:
    return math.nan if value is None else value
