"""``trailing_sum`` against the grouped pandas reference it replaced, on random histories."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from strikeouts.features.rolling import trailing_sum


def reference(values: pd.Series, groups: pd.Series, n: int | None) -> pd.Series:
    """The grouped cumsum / shift formulation (rows sorted by group, then time)."""
    total = values.fillna(0.0).groupby(groups, sort=False).cumsum()
    if n is None:
        return total
    return total - total.groupby(groups, sort=False).shift(n).fillna(0.0)


@settings(max_examples=200, deadline=None)
@given(
    sizes=st.lists(st.integers(min_value=1, max_value=15), min_size=1, max_size=8),
    n=st.one_of(st.none(), st.integers(min_value=1, max_value=20)),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
)
def test_trailing_sum_equals_the_grouped_reference(
    sizes: list[int], n: int | None, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    groups = pd.Series(np.repeat(np.arange(len(sizes)), sizes))
    counts = rng.integers(0, 120, size=len(groups)).astype("float64")
    counts[rng.random(len(groups)) < 0.2] = np.nan  # unknown inputs count as 0
    values = pd.Series(counts, index=groups.index + 7)  # any index: the result keeps it
    groups.index = values.index
    got = trailing_sum(values, groups, n)
    pd.testing.assert_series_equal(got, reference(values, groups, n), check_names=False)


def test_trailing_sum_of_nothing_is_empty() -> None:
    empty = pd.Series([], dtype="float64")
    assert trailing_sum(empty, pd.Series([], dtype="int64"), 3).empty
