"""Trailing sums per entity and the strictly-earlier as-of join that reads them.

Invariant: a state row summarises its own game and earlier ones only (cumulative sums over
rows sorted by date), and :func:`as_of` joins a target on day D to the last state row dated
strictly before D (``merge_asof(..., allow_exact_matches=False)``). Nothing on or after D
can reach a target on D, and a doubleheader's first game never feeds the second.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

STATE_DATE = "_state_date"


def trailing_sum(values: pd.Series, groups: pd.Series, n: int | None) -> pd.Series:
    """Per group, the sum over the last ``n`` rows up to and including each row (NaN as 0).

    ``n=None`` sums all earlier rows of the group. Rows must be sorted by group, then time.
    """
    total = values.fillna(0.0).groupby(groups, sort=False).cumsum()
    if n is None:
        return total
    dropped = total.groupby(groups, sort=False).shift(n).fillna(0.0)
    return total - dropped


def known(values: pd.Series) -> pd.Series:
    """1.0 where ``values`` is known, else 0.0 (to count known inputs in a window)."""
    return values.notna().astype("float64")


def states(
    rows: pd.DataFrame,
    keys: Sequence[str],
    sums: Mapping[str, tuple[str, int | None]],
) -> pd.DataFrame:
    """One state row per input row: ``keys``, the date and each ``name: (column, window)`` sum."""
    ordered = rows.sort_values([*keys, "game_date", "game_id"], kind="stable")
    groups = ordered.groupby(list(keys), sort=False).ngroup()
    out = ordered[[*keys, "game_date"]].rename(columns={"game_date": STATE_DATE})
    for name, (column, window) in sums.items():
        source = (
            pd.Series(1.0, index=ordered.index) if column == "_one" else ordered[column]
        ).astype("float64")
        out[name] = trailing_sum(source, groups, window).to_numpy()
    return out


def as_of(
    targets: pd.DataFrame,
    state: pd.DataFrame,
    by: Sequence[str] = (),
    on: str = "game_date",
) -> pd.DataFrame:
    """``state`` as of the end of the day before each target's ``on`` date, aligned to targets.

    ``targets`` must have a unique index; the result has the same index, NaN where a target
    has no earlier state row.
    """
    left = targets[[on, *by]].copy()
    left["_target"] = np.arange(len(left))
    left = left.dropna(subset=list(by)).sort_values(on, kind="stable")
    right = state.sort_values(STATE_DATE, kind="stable")
    merged = pd.merge_asof(
        left,
        right,
        left_on=on,
        right_on=STATE_DATE,
        by=list(by) if by else None,
        allow_exact_matches=False,
        direction="backward",
    )
    values = merged.drop(columns=[on, *by]).set_index("_target")
    aligned = values.reindex(np.arange(len(targets)))
    aligned.index = targets.index
    return aligned
