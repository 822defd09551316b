"""Serving a system by alias: the model an alias names NOW, within the store's alias TTL.

Invariant: a long-running server (a system function) predicts with the version its alias
pointed at no longer than ``alias_ttl_seconds`` ago (the store's cached resolution), checked on
every call, so a promotion or rollback reaches it within the TTL plus one message; each row
carries the version that actually predicted it (``SystemResult.model_version``). Versions are
immutable, so switching is loading the other version once; an alias that disappears keeps the
last version served (a champion is never left unset by a typo), a challenger stops shadowing.
A version that fails to load (corrupt, unreachable) is logged as an error and retried at most
every ``retry_seconds``; meanwhile the last version served goes on serving.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence

from strikeouts.logs import get_logger
from strikeouts.models.store import ModelStore, ModelStoreError
from strikeouts.models.systems import SYSTEMS, get_system
from strikeouts.models.training import load_system
from strikeouts.names import CHALLENGER, CHAMPION
from strikeouts.pipeline.payloads import PitcherGameMessage
from strikeouts.pipeline.ports import SystemResult
from strikeouts.runtime.predictors import UNAVAILABLE, ModelPredictor, ModelUnavailable

log = get_logger(__name__)


class AliasFollower:
    """The :class:`ModelPredictor` of ``system@alias`` as the store resolves it now."""

    def __init__(
        self,
        store: ModelStore,
        system_id: str,
        alias: str,
        *,
        retry_seconds: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.system_id = system_id
        self.alias = alias
        self.retry_seconds = retry_seconds
        self._clock = clock
        self._served: ModelPredictor | None = None
        self._failed: dict[str, float] = {}

    def current(self) -> ModelPredictor | None:
        """The predictor of the version ``alias`` names (None while it is unset; the last one
        served while the named version cannot be loaded)."""
        version = self.store.lookup(self.system_id, self.alias)
        if version is None:
            return None
        served = self._served
        if served is not None and served.model_version == version:
            return served
        failed_at = self._failed.get(version)
        recent = failed_at is not None and self._clock() - failed_at < self.retry_seconds
        if served is not None and recent:
            return served
        try:
            loaded = ModelPredictor(load_system(self.store, self.system_id, version), self.alias)
        except (ModelStoreError, ValueError) as exc:
            if served is None:
                raise
            self._failed[version] = self._clock()
            log.error(
                "model version not loadable: serving the previous one",
                system_id=self.system_id,
                alias=self.alias,
                version=version,
                serving=served.model_version,
                error=str(exc),
            )
            return served
        log.info(
            "serving model",
            system_id=self.system_id,
            alias=self.alias,
            version=version,
            previous=served.model_version if served else None,
        )
        self._served = loaded
        self._failed.pop(version, None)
        return loaded


class AliasPredictor:
    """A :class:`~strikeouts.pipeline.ports.Predictor` of ``system@alias`` that follows the
    alias's moves. A function whose model cannot be loaded at cold start (no alias, a corrupt
    artifact) still starts: every call retries the load and, while it fails, raises
    :class:`ModelUnavailable`, so the system answers ``error`` (and its breaker opens) instead
    of failing every delivery until the messages are dead-lettered and the ensemble waits."""

    def __init__(self, store: ModelStore, system_id: str, alias: str = CHAMPION) -> None:
        self.follower = AliasFollower(store, system_id, alias)
        self.system_id = system_id
        self.model_alias = alias
        self.feature_set = get_system(system_id).feature_set
        self.model_version = UNAVAILABLE
        self._last: ModelPredictor | None = None
        self._unset = False
        try:
            self.now()
        except ModelUnavailable as exc:
            log.error(
                "model not loadable: the system answers error",
                system_id=system_id,
                alias=alias,
                error=str(exc),
            )

    def now(self) -> ModelPredictor:
        """The predictor to use for the next call (the last one while the alias is unset);
        ModelUnavailable while no version of the alias could ever be loaded."""
        try:
            current = self.follower.current()
            if current is None and self._last is None:
                current = ModelPredictor.from_store(
                    self.follower.store, self.system_id, self.model_alias
                )
        except (ModelStoreError, ValueError) as exc:  # only before anything was served
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise ModelUnavailable(
                f"{self.system_id}@{self.model_alias} not loadable: {first}"
            ) from exc
        if current is None:
            if not self._unset:
                log.warning("alias unset: serving the last version", system_id=self.system_id)
            self._unset = True
        elif current is not self._last:
            self._unset = False
            self._last = current
            self.model_version = current.model_version
        assert self._last is not None  # set above: a first predictor or an error
        return self._last

    def predict(self, message: PitcherGameMessage) -> SystemResult:
        """:meth:`ModelPredictor.predict` with the version the alias names now."""
        return self.now().predict(message)

    def predict_many(
        self, messages: Sequence[PitcherGameMessage]
    ) -> list[SystemResult | Exception]:
        """:meth:`ModelPredictor.predict_many` with the version the alias names now."""
        return self.now().predict_many(messages)


def load_challengers(
    store: ModelStore, systems: Iterable[str] | None = None
) -> dict[str, ModelPredictor]:
    """System id → its challenger's predictor, for the systems whose ``challenger`` alias is set
    and differs from their champion (what an embedded run shadows)."""
    found: dict[str, ModelPredictor] = {}
    for system_id in systems or SYSTEMS:
        challenger = store.lookup(system_id, CHALLENGER)
        if challenger is None or challenger == store.lookup(system_id, CHAMPION):
            continue
        found[system_id] = ModelPredictor(load_system(store, system_id, challenger), CHALLENGER)
    return found
