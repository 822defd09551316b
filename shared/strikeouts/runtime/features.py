"""The warehouse-backed FeatureSource: point-in-time snapshots from History + build_features.

Invariant: the snapshot for a pitcher-game dated D uses only games strictly before D.

- One date: the features are built from ONE prepared FULL history per source
  (``History.load(warehouse)`` without a cut, then
  :func:`~strikeouts.features.prepared.prepare_history`), so only the as-of joins run per
  date. This is legal because ``build_features`` reads every history-derived value "as of the
  end of the day before" each target, so the games on or after D that the full history holds
  never reach D's targets; the features package proves that a range build and per-date builds
  give identical vectors (tests/features/test_point_in_time.py), and the runtime tests that a
  snapshot equals a build from ``History.load(warehouse, before=D)``. The history is never
  stale: before each per-date build ONE fingerprint query (counts, date ranges and sums of the
  source tables) is compared with the one taken before the history was loaded, and a change
  reloads and re-prepares it. Per-date rows are not kept between snapshots, so a later
  snapshot of the same date reflects whatever the warehouse gained meanwhile.
- A replay range: :meth:`WarehouseFeatureSource.prepare` loads the history once up to the
  range's last date and runs ONE vectorised ``build_features`` over every start of the range,
  then serves each date from that cache. A pitcher-game the cache does not hold (e.g. a
  hand-edited schedule) falls back to the per-date build.

Target context (season, umpire, park, the opening line) comes from the same slate query as the
schedule event, so the line features agree with the line in the message header.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from strikeouts.features.build import build_features, build_prepared
from strikeouts.features.catalog import FEATURE_SETS, SUPERSET, coverage_column
from strikeouts.features.history import History
from strikeouts.features.prepared import PreparedHistory, prepare_history
from strikeouts.pipeline.ports import FeatureRow, FeatureSnapshot, PitcherGameRef
from strikeouts.runtime.schedule import slate
from strikeouts.warehouse.base import Warehouse

Key = tuple[dt.date, str, int]
Fingerprint = tuple[object, ...]

# What the history is read from, summarised in one cheap query: rows added or removed (the
# pipeline's merges, a re-ingest) change a count or a date, and an in-place correction of an
# outcome, an umpire or a closing line changes a count or a sum. Integer sums only, so the
# value does not depend on the order a backend adds rows in.
FINGERPRINT_SQL = """
SELECT s.*, g.*, l.*
FROM (
  SELECT COUNT(*) AS starts, MIN(game_date) AS starts_first, MAX(game_date) AS starts_last,
         SUM(strikeouts) AS starts_k, SUM(outs) AS starts_outs,
         SUM(batters_faced) AS starts_bf, SUM(pitches) AS starts_pitches
  FROM pitcher_starts
) AS s
CROSS JOIN (
  SELECT COUNT(*) AS games, MIN(game_date) AS games_first, MAX(game_date) AS games_last,
         COUNT(umpire_home) AS games_umpires
  FROM games
) AS g
CROSS JOIN (
  SELECT COUNT(*) AS lines, MAX(game_date) AS lines_last, COUNT(close_line) AS lines_closed,
         SUM(CAST(ROUND(close_line * 100) AS INT64)) AS lines_close
  FROM prop_lines
) AS l
"""

LIVE_LINES = "prop_line_snapshots"
LIVE_OPEN_SQL = f"""
SELECT game_id, pitcher_id, line AS open_line, over_odds AS open_over, under_odds AS open_under
FROM {LIVE_LINES}
WHERE game_date = @day AND game_id IS NOT NULL AND pitcher_id IS NOT NULL
QUALIFY ROW_NUMBER() OVER (PARTITION BY game_id, pitcher_id ORDER BY snapshot_at, event_id) = 1
"""

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


def fingerprint(warehouse: Warehouse) -> Fingerprint:
    """The source tables' summary (see ``FINGERPRINT_SQL``); NULL sums compare equal."""
    row = warehouse.query(FINGERPRINT_SQL).iloc[0]
    return tuple(None if pd.isna(v) else v for v in row)


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
        self._prepared: tuple[Fingerprint, PreparedHistory] | None = None
        self._cache: dict[Key, FeatureRow] = {}
        self.builds = 0
        """How many times build_features ran (a replay range should need one)."""
        self.loads = 0
        """How many times the full history was loaded and prepared for per-date builds."""

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
        built: dict[Key, FeatureRow] = {}
        if missing:
            rows = self._build_date(game_date, missing)
            built = {
                (game_date, r.game_id, r.pitcher_id): row
                for r, row in zip(missing, rows, strict=True)
            }
        rows = [self._cache[k] if k in self._cache else built[k] for k in keys]
        return FeatureSnapshot(rows, dict(FEATURE_SET_VERSIONS))

    def _build_date(self, game_date: dt.date, refs: Sequence[PitcherGameRef]) -> list[FeatureRow]:
        targets = self._targets(game_date, refs)
        built = build_prepared(self._full_history(), targets)
        self.builds += 1
        return rows_of(built)

    def _full_history(self) -> PreparedHistory:
        """The prepared full history, reloaded when the warehouse's fingerprint changed."""
        # taken BEFORE loading: a write landing in between makes the next check reload again,
        # never hides itself behind a fingerprint that already counts it
        mark = fingerprint(self.warehouse)
        if self._prepared is None or self._prepared[0] != mark:
            self._prepared = (mark, prepare_history(History.load(self.warehouse)))
            self.loads += 1
        return self._prepared[1]

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
        targets = self._live_opening_lines(game_date, targets)
        # a starter the warehouse does not know: its game is still a regular-season game of D
        targets["season"] = targets["season"].fillna(game_date.year)
        targets["game_type"] = targets["game_type"].fillna("regular")
        return targets

    def _live_opening_lines(self, game_date: dt.date, targets: pd.DataFrame) -> pd.DataFrame:
        """Opening lines of pitcher-games the warehouse has no start for yet (a live slate).

        The day's FIRST live snapshot stands in for the opening line, as the bulk lines'
        first snapshot does in training; later snapshots move the header line only.
        """
        missing = targets["open_line"].isna()
        if not bool(missing.any()) or not self.warehouse.row_count(LIVE_LINES):
            return targets
        first = self.warehouse.query(LIVE_OPEN_SQL, {"day": game_date})
        filled = targets.merge(
            first, on=["game_id", "pitcher_id"], how="left", suffixes=("", "_live")
        )
        for column in ("open_line", "open_over", "open_under"):
            live = pd.to_numeric(filled[f"{column}_live"]).astype("float64")
            filled[column] = pd.to_numeric(filled[column]).astype("float64").where(~missing, live)
        return filled.drop(columns=[f"{c}_live" for c in ("open_line", "open_over", "open_under")])
