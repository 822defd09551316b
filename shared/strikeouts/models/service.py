"""Training systems from the warehouse and keeping a champion per system in the model store.

Invariant: a model registered with ``train_end = T`` was fitted on starts dated before T only;
its features come from the point-in-time builder, so no value from T onwards reaches it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

import pandas as pd

from strikeouts.features.build import build_features
from strikeouts.features.catalog import feature_set
from strikeouts.features.history import History
from strikeouts.features.targets import start_targets
from strikeouts.logs import get_logger
from strikeouts.models.fit_cache import cached_fit
from strikeouts.models.store import ModelRef, ModelStore, ModelStoreError
from strikeouts.models.systems import SYSTEMS, get_system
from strikeouts.models.training import TARGET, TrainedSystem, TrainingError
from strikeouts.models.training import load_system as load_system
from strikeouts.names import CHAMPION
from strikeouts.settings import get_settings
from strikeouts.warehouse.base import Warehouse

log = get_logger(__name__)

LABEL_KEYS = ["game_id", "pitcher_id"]

Progress = Callable[[str], None]


def labelled_features(history: History, first: dt.date, last: dt.date) -> pd.DataFrame:
    """Point-in-time features of every start in ``first..last`` with its actual strikeouts."""
    targets = start_targets(history, first, last)
    features = build_features(history, targets)
    labels = history.starts[[*LABEL_KEYS, "strikeouts"]].rename(columns={"strikeouts": TARGET})
    return features.merge(labels, on=LABEL_KEYS, how="left", validate="one_to_one")


def training_frame(warehouse: Warehouse, train_end: dt.date) -> pd.DataFrame:
    """Every start before ``train_end`` with its features and label (history cut at the end)."""
    history = History.load(warehouse, before=train_end)
    if history.starts.empty:
        raise TrainingError(
            f"no starts before {train_end} in the warehouse: run `strikeouts ingest`"
        )
    first = pd.Timestamp(history.starts["game_date"].min()).date()
    last = train_end - dt.timedelta(days=1)
    return labelled_features(history, first, last)


def train(frame: pd.DataFrame, system_id: str, train_end: dt.date) -> TrainedSystem:
    """Fit ``system_id`` on the rows of ``frame`` dated before ``train_end``."""
    spec = get_system(system_id)
    fs = feature_set(spec.feature_set)
    folder = get_settings().fit_cache
    return cached_fit(spec, frame, list(fs.names), fs.version, train_end, folder)


def register(store: ModelStore, model: TrainedSystem, alias: str | None) -> ModelRef:
    """Save ``model``'s artifact and metadata; point ``alias`` at it when given."""
    ref = store.save(model.spec.system_id, model.artifact(), model.metadata)
    if alias:
        ref = store.set_alias(model.spec.system_id, alias, ref.version)
    return ref


def ensure_champions(
    warehouse: Warehouse,
    store: ModelStore,
    train_end: dt.date,
    systems: Iterable[str] | None = None,
    progress: Progress | None = None,
) -> dict[str, ModelRef]:
    """A champion for every system; the missing ones are trained on starts before ``train_end``."""
    wanted = [get_system(s).system_id for s in (systems or SYSTEMS)]
    refs: dict[str, ModelRef] = {}
    frame: pd.DataFrame | None = None
    for system_id in wanted:
        try:
            refs[system_id] = store.resolve(system_id, CHAMPION)
            continue
        except ModelStoreError:
            pass
        if progress:
            progress(f"training {system_id} on starts before {train_end}")
        if frame is None:
            frame = training_frame(warehouse, train_end)
        refs[system_id] = register(store, train(frame, system_id, train_end), CHAMPION)
        log.info("trained champion", system_id=system_id, version=refs[system_id].version)
    return refs
