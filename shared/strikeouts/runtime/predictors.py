"""The model-backed Predictor: one stored system, loaded once by alias, serving pitcher-games.

Invariant: a prediction is a pure function of the message and the loaded artifact. The
features are read by name in the model's own order (null -> NaN, as in training, never a
default), the count comes from the booster and P(over) from the system's own (calibrated) count
distribution with the header's line, so republishing a message reproduces the same prediction exactly, and equals
:meth:`TrainedSystem.predict` on the same features.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from strikeouts.models.service import CHAMPION, load_system
from strikeouts.models.store import ModelStore
from strikeouts.models.training import MARKET_P_OVER, OPEN_LINE, TrainedSystem
from strikeouts.pipeline.ports import SystemResult

MAX_COUNT = 27.0
# The features TrainedSystem.p_over reads besides the mean and the line (its calibration).
MARKET = (OPEN_LINE, MARKET_P_OVER)


class FeatureMismatch(ValueError):
    """A message built with another feature-set version than the model was trained on."""


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
        row = np.empty((1, len(self.names)), dtype=np.float64)
        try:
            for i, name in enumerate(self.names):
                value = features[name]
                row[0, i] = math.nan if value is None else value
        except KeyError as exc:
            raise FeatureMismatch(
                f"{self.system_id}: feature {exc.args[0]!r} is absent from the message"
            ) from None
        return row

    def predict(self, message: Mapping[str, Any]) -> SystemResult:
        """Expected strikeouts and P(over the header's line) for one pitcher-game message."""
        version = message["feature_set_versions"].get(self.feature_set)
        if version != self.feature_set_version:
            raise FeatureMismatch(
                f"{self.system_id}: message has feature_set_versions[{self.feature_set!r}]="
                f"{version!r}, the model was trained on {self.feature_set_version!r}"
            )
        row = self.features_row(message["features"])
        # inplace_predict skips building a DMatrix; both paths read the row as float32
        mean = float(self.system.booster.inplace_predict(row)[0])
        line = message["header"]["line"]
        p = None if line is None else self._p_over(message["features"], mean, float(line["line"]))
        return SystemResult(predicted_strikeouts=min(max(mean, 0.0), MAX_COUNT), p_over=p)

    def _p_over(
        self, features: Mapping[str, float | None], mean: float, line: float
    ) -> float | None:
        """The system's own calibrated P(over), fed the market inputs it reads from the features."""
        market = pd.DataFrame(
            {name: [math.nan if features.get(name) is None else features[name]] for name in MARKET}
        )
        p = float(self.system.p_over(market, np.array([mean]), np.array([line]))[0])
        return p if math.isfinite(p) else None
