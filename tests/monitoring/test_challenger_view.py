"""challenger_comparison on a replayed week with a real challenger shadowing v1_baseline: the
same numbers on both backends as computed here from the graded champion rows and the shadows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from strikeouts.warehouse import Warehouse

from .conftest import BACKENDS, OpenLoaded

pytestmark = pytest.mark.data

KEY = ["run_id", "game_id", "pitcher_id", "system_id"]


def _hits(call: pd.Series, over_hit: pd.Series) -> pd.Series:
    bet = call.isin(["OVER", "UNDER"]) & over_hit.notna()
    won = (call == "OVER") == (over_hit == 1)
    return won.astype(float).where(bet)


def _expected(warehouse: Warehouse) -> pd.Series:
    """The comparison computed in pandas from the graded champion rows and the shadow rows."""
    graded = warehouse.query("SELECT * FROM graded_predictions WHERE error IS NOT NULL")
    shadows = warehouse.query("SELECT * FROM shadow_predictions WHERE status = 'ok'")
    pairs = graded.merge(shadows, on=KEY, suffixes=("", "_c"))
    actual = pairs["actual_strikeouts"]
    both = pairs["p_over"].notna() & pairs["p_over_c"].notna() & pairs["over_hit"].notna()
    hit = pairs["over_hit"].where(both)
    return pd.Series(
        {
            "n": len(pairs),
            "champion_mae": (pairs["predicted_strikeouts"] - actual).abs().mean(),
            "challenger_mae": (pairs["predicted_strikeouts_c"] - actual).abs().mean(),
            "champion_bias": (pairs["predicted_strikeouts"] - actual).mean(),
            "challenger_bias": (pairs["predicted_strikeouts_c"] - actual).mean(),
            "brier_n": int(both.sum()),
            "champion_brier": ((pairs["p_over"] - hit) ** 2).mean(),
            "challenger_brier": ((pairs["p_over_c"] - hit) ** 2).mean(),
            "champion_hit_rate": _hits(pairs["recommendation"], pairs["over_hit"]).mean(),
            "challenger_hit_rate": _hits(pairs["recommendation_c"], pairs["over_hit"]).mean(),
            "champion_version": pairs["model_version"].iloc[0],
            "challenger_version": pairs["model_version_c"].iloc[0],
        }
    )


@pytest.mark.parametrize("backend", BACKENDS)
def test_challenger_comparison_equals_the_pairs_computed_here(
    open_loaded: OpenLoaded, backend: str
) -> None:
    warehouse = open_loaded(backend)
    view = warehouse.query("SELECT * FROM challenger_comparison")
    assert view["system_id"].tolist() == ["v1_baseline"]  # the one system with a challenger
    got = view.iloc[0]
    want = _expected(warehouse)
    assert got["n"] > 50 and got["n"] == want["n"] and got["brier_n"] == want["brier_n"]
    assert got["champion_version"] == want["champion_version"] == "v0001"
    assert got["challenger_version"] == want["challenger_version"] == "v0002"
    for column in (
        "champion_mae",
        "challenger_mae",
        "champion_bias",
        "challenger_bias",
        "champion_brier",
        "challenger_brier",
        "champion_hit_rate",
        "challenger_hit_rate",
    ):
        assert np.isclose(got[column], want[column]), column
    assert got["challenger_mae"] != got["champion_mae"]  # two models, two sets of errors
    assert np.isclose(got["mae_delta"], got["challenger_mae"] - got["champion_mae"])


def test_shadow_rows_never_reach_the_monitoring_views(open_loaded: OpenLoaded) -> None:
    warehouse = open_loaded("duckdb")
    graded = warehouse.query("SELECT DISTINCT model_alias FROM graded_predictions")
    assert "challenger" not in set(graded["model_alias"].dropna())
    shadows = warehouse.query("SELECT COUNT(*) AS n FROM shadow_predictions")
    assert int(shadows["n"].iloc[0]) > 0
