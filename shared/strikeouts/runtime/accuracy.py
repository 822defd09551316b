"""Trailing accuracy of each system from the warehouse, for ensemble_v1's adaptive weights.

Invariant: walk-forward only — a prediction is graded when its game is dated strictly before
``as_of`` (and after ``as_of - window``), using the newest run per pitcher-game and system.
It reads rows already in the warehouse: the embedded run writes its rows when it ends, so a
long single replay is weighted by earlier runs only (base weights until enough are graded).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from strikeouts.warehouse.base import Warehouse

TRAILING_SQL = """
SELECT p.system_id,
       AVG(ABS(p.predicted_strikeouts - s.strikeouts)) AS mae,
       COUNT(*) AS n
FROM pitcher_strikeout_predictions_latest AS p
JOIN pitcher_starts AS s ON s.game_id = p.game_id AND s.pitcher_id = p.pitcher_id
WHERE p.status = 'ok' AND p.predicted_strikeouts IS NOT NULL
  AND p.game_date < @as_of AND p.game_date >= @since
  AND p.system_id IN UNNEST(@systems)
GROUP BY p.system_id
"""


class WarehouseTrailingAccuracy:
    """:class:`~strikeouts.pipeline.ports.TrailingAccuracy` over graded warehouse rows."""

    def __init__(self, warehouse: Warehouse) -> None:
        self.warehouse = warehouse
        self._cache: dict[tuple[tuple[str, ...], dt.date, int], dict[str, tuple[float, int]]] = {}

    def trailing_mae(
        self, system_ids: Sequence[str], as_of: dt.date, window_days: int
    ) -> Mapping[str, tuple[float, int]]:
        """System id -> (MAE, graded predictions) over ``[as_of - window, as_of)``."""
        key = (tuple(sorted(system_ids)), as_of, window_days)
        if key not in self._cache:  # one query per date, not per pitcher-game
            rows = self.warehouse.query(
                TRAILING_SQL,
                {
                    "as_of": as_of,
                    "since": as_of - dt.timedelta(days=window_days),
                    "systems": list(key[0]),
                },
            )
            self._cache[key] = {
                str(r["system_id"]): (float(r["mae"]), int(r["n"])) for r in rows.to_dict("records")
            }
        return self._cache[key]
