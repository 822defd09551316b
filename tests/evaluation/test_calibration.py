"""Reliability bins and the calibration plot."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from strikeouts.evaluation.calibration import (
    CLOSE_SOURCE,
    expected_calibration_error,
    plot_reliability,
    reliability_bins,
    reliability_table,
)


def test_bins_count_only_decided_starts() -> None:
    p = [0.05, 0.15, 0.95, 1.0, 0.5, np.nan]
    outcome = [0, 1, 1, 1, np.nan, 1]  # a push and a missing probability
    bins = reliability_bins(p, outcome, n_bins=10)
    assert len(bins) == 10
    assert bins["n"].sum() == 4
    assert bins["n"].tolist() == [1, 1, 0, 0, 0, 0, 0, 0, 0, 2]
    last = bins.iloc[9]
    assert (last["mean_predicted"], last["observed_rate"]) == (pytest.approx(0.975), 1.0)
    assert np.isnan(bins.iloc[5]["observed_rate"])
    assert expected_calibration_error(bins) == pytest.approx((0.05 + 0.85 + 0.025 * 2) / 4)


def test_bins_refuse_bad_input() -> None:
    with pytest.raises(ValueError, match="n_bins"):
        reliability_bins([0.5], [1], n_bins=0)
    with pytest.raises(ValueError, match=r"\[1\.5\]"):
        reliability_bins([1.5], [1])


def _predictions() -> pd.DataFrame:
    base = pd.DataFrame(
        {
            "game_date": pd.to_datetime(["2024-06-01"] * 3),
            "game_id": ["g1", "g2", "g3"],
            "pitcher_id": [1, 2, 3],
            "line": [5.5, 6.0, 4.5],
            "close_over": [-110, -110, 150],
            "close_under": [-110, -110, -170],
            "actual_strikeouts": [7, 6, 3],  # over, push, under
            "predicted_strikeouts": [6.0, 6.0, 4.0],
        }
    )
    return pd.concat(
        [
            base.assign(system_id="sys_a", p_over=[0.8, 0.5, 0.2]),
            base.assign(system_id="sys_b", p_over=[0.6, 0.5, 0.45]),
        ],
        ignore_index=True,
    )


def test_table_has_each_system_and_the_close_once_per_start(tmp_path: Path) -> None:
    table = reliability_table(_predictions(), n_bins=5)
    counts = table.groupby("source")["n"].sum().to_dict()
    assert counts == {"sys_a": 2, "sys_b": 2, CLOSE_SOURCE: 2}  # the push is out everywhere
    close = table[(table["source"] == CLOSE_SOURCE) & (table["n"] > 0)]
    assert close["mean_predicted"].tolist()[-1] == pytest.approx(0.5)

    path = plot_reliability(table, tmp_path / "plots" / "reliability.png")
    data = path.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(data) > 5000
