"""The warehouse-backed FeatureSource: point-in-time snapshots from History + build_features.

Invariant: the snapshot for a pitcher-game dated D uses only games strictly before D.

- One date: ``History.load(warehouse, before=D)`` (cached per date), so the history itself
  holds nothing from D on.
- A replay range: :meth:`WarehouseFeatureSource.prepare` loads the history once up to the
  range's last date and runs ONE vectorised ``build_features`` over every start of the range,
  then serves each date from that cache. This is legal because ``build_features`` reads every
  history-derived value "as of the end of the day before" each target, and the features
  package proves (tests/features/test_point_in_time.py) that a range build and per-date builds
  give identical vectors. A pitcher-game the cache does not hold (e.g. a hand-edited schedule)
  falls back to the per-date build.

Target context (season, umpire, park, the opening line) comes from the same slate query as the
schedule event, so the line features agree with the line in the message header.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from strikeouts.features.build import build_features
from strikeouts.features.catalog import FEATURE_SETS, SUPERSET, coverage_column
from strikeouts.features.history import History
from strikeouts.pipeline.ports import FeatureRow, FeatureSnapshot, PitcherGameRef
from strikeouts.runtime.schedule import slate
from strikeouts.warehouse.base import Warehouse

Key = tuple[dt.date, str, int]

FEATURE_SET_VERSIONS: dict[str, str] = {name: fs.version for name, fs in FEATURE_SETS.items()}
CONTEXT_COLUMNS = (
    "game_id",
    "pitcher_id",
    "season",
    "game_type",
    "umpire_home",
    "park_id",
    "open_line",
    "open_over",
    "open_under",
)


def rows_of(features: pd.DataFrame) -> list[FeatureRow]:
    """One FeatureRow per built row: superset values (NaN -> None) and coverage per set."""
    values = features[list(SUPERSET)].to_numpy(dtype=float, na_value=np.nan)
    coverage = {
        name: features[coverage_column(name)].to_numpy(dtype=float) for name in FEATURE_SETS
    }
    out = []
    for i, row in enumerate(values):
        named = {
            name: (None if math.isnan(v) else float(v))
            for name, v in zip(SUPERSET, row, strict=True)
        }
        out.append(FeatureRow(named, {name: float(cov[i]) for name, cov in coverage.items()}))
    return out


class WarehouseFeatureSource:
    """:class:`~strikeouts.pipeline.ports.FeatureSource` over the warehouse's history."""

    def __init__(self, warehouse: Warehouse) -> None:
        self.warehouse = warehouse
        self._history: tuple[dt.date, History] | None = None
        self._cache: dict[Key, FeatureRow] = {}
        self.builds = 0
        """How many times build_features ran (a replay range should need one)."""

    def prepare(self, first: dt.date, last: dt.date, targets: pd.DataFrame | None = None) -> int:
        """Build every start of ``first``..``last`` in one pass; returns the rows cached.

        ``targets`` is the range's :func:`slate` when the caller already holds it.
        """
        targets = slate(self.warehouse, first, last) if targets is None else targets
        if targets.empty:
            return 0
        history = History.load(self.warehouse, before=last + dt.timedelta(days=1))
        built = build_features(history, targets)
        self.builds += 1
        keys = zip(built["game_date"], built["game_id"], built["pitcher_id"], strict=True)
        for (day, game_id, pitcher_id), row in zip(keys, rows_of(built), strict=True):
            self._cache[(pd.Timestamp(day).date(), str(game_id), int(pitcher_id))] = row
        return len(built)

    def snapshot(
        self, game_date: dt.date, pitcher_games: Sequence[PitcherGameRef]
    ) -> FeatureSnapshot:
        """One row per pitcher-game, from the range cache or a per-date build."""
        keys = [(game_date, ref.game_id, ref.pitcher_id) for ref in pitcher_games]
        missing = [
            ref for ref, key in zip(pitcher_games, keys, strict=True) if key not in self._cache
        ]
        if missing:
            self._build_date(game_date, missing)
        return FeatureSnapshot([self._cache[k] for k in keys], dict(FEATURE_SET_VERSIONS))

    def _build_date(self, game_date: dt.date, refs: Sequence[PitcherGameRef]) -> None:
        targets = self._targets(game_date, refs)
        built = build_features(self._history_before(game_date), targets)
        self.builds += 1
        for ref, row in zip(refs, rows_of(built), strict=True):
            self._cache[(game_date, ref.game_id, ref.pitcher_id)] = row

    def _history_before(self, game_date: dt.date) -> History:
        if self._history is None or self._history[0] != game_date:
            self._history = (game_date, History.load(self.warehouse, before=game_date))
        return self._history[1]

    def _targets(self, game_date: dt.date, refs: Sequence[PitcherGameRef]) -> pd.DataFrame:
        """Targets from the refs, with the slate's context where the start is known."""
        keys = pd.DataFrame(
            {
                "game_date": pd.Timestamp(game_date),
                "game_id": [r.game_id for r in refs],
                "pitcher_id": [r.pitcher_id for r in refs],
                "team": [r.team for r in refs],
                "opponent": [r.opponent for r in refs],
                "is_home": [r.is_home for r in refs],
            }
        )
        context = slate(self.warehouse, game_date, game_date)[list(CONTEXT_COLUMNS)]
        targets = keys.merge(context, on=["game_id", "pitcher_id"], how="left", validate="1:1")
        # a starter the warehouse does not know: its game is still a regular-season game of D
        targets["season"] = targets["season"].fillna(game_date.year)
        targets["game_type"] = targets["game_type"].fillna("regular")
        return targets
