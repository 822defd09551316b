"""conform_records keeps conform's rules row by row: same JSON values, same refusals."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

from strikeouts.warehouse.base import WarehouseError, conform, conform_records
from strikeouts.warehouse.schemas import load_schema

SCHEMA = load_schema("pitcher_strikeout_predictions")
NOW = dt.datetime(2025, 6, 1, 17, 5, 3, 123456, tzinfo=dt.UTC)


def row(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "run_id": "run-1",
        "game_id": "NYY202506010",
        "pitcher_id": np.int64(600000),
        "system_id": "v1_baseline",
        "game_date": dt.date(2025, 6, 1),
        "game_pk": None,
        "team": "NYY",
        "opponent": "BOS",
        "is_home": True,
        "predicted_strikeouts": np.float64(5.25),
        "p_over": float("nan"),
        "over_odds": -115,
        "red_flags": ["thin history"],
        "contributing_systems": [],
        "status": "ok",
        "late": False,
        "run_created_at": "2025-06-01T12:00:00Z",
        "created_at": NOW,
    }
    return {**base, **overrides}


def via_frame(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The reference: conform on a DataFrame, then each cell as JSON."""

    def cell(value: Any) -> Any:
        if isinstance(value, list):
            return [cell(v) for v in value]
        if value is None or value is pd.NA or value is pd.NaT:
            return None
        if isinstance(value, float) and math.isnan(value):
            return None
        if isinstance(value, pd.Timestamp | dt.date):
            return value.isoformat()
        return cell(value.item()) if hasattr(value, "item") else value

    frame = conform(SCHEMA, pd.DataFrame(rows))
    return [{k: cell(v) for k, v in r.items()} for r in frame.to_dict("records")]


def test_same_json_values_as_conform_on_a_frame() -> None:
    rows = [row(), row(pitcher_id=7, game_pk=np.int64(777), late=None, red_flags=None)]
    assert conform_records(SCHEMA, rows) == via_frame(rows)
    assert conform_records(SCHEMA, rows)[0]["run_created_at"] == "2025-06-01T12:00:00+00:00"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"team": None}, r"pitcher_strikeout_predictions\.team is REQUIRED but 1 row"),
        ({"surprise": 1}, r"columns not in the schema: \['surprise'\]"),
        ({"pitcher_id": 1.5}, r"pitcher_id does not fit INT64"),
        ({"is_home": "yes"}, r"is_home does not fit BOOL"),
    ],
)
def test_refuses_what_conform_refuses(overrides: dict[str, Any], message: str) -> None:
    rows = [row(), row(**overrides)]
    with pytest.raises(WarehouseError, match=message):
        conform_records(SCHEMA, rows)
    with pytest.raises(WarehouseError):
        conform(SCHEMA, pd.DataFrame(rows))


def test_a_missing_required_column_is_named() -> None:
    rows = [{k: v for k, v in row().items() if k != "status"}]
    with pytest.raises(WarehouseError, match="missing required column 'status'"):
        conform_records(SCHEMA, rows)
