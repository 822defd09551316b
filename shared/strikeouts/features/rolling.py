"""Trailing sums per entity and the strictly-earlier as-of join that reads them.

Invariant: a state row summarises its own game and earlier ones only (cumulative sums over
rows sorted by date), and :func:`as_of` joins a target on day D to the last state row dated
strictly before D (``merge_asof(..., allow_exact_matches=False)``). Nothing on or after D
can reach a target on D, and a doubleheader's first game never feeds the second. ``as_of``
reads a state in :func:`by_state_date` order whether or not the caller sorted it, so a state
sorted once ahead of time joins exactly the rows an unsorted one would. A :class:`StateTable`
(a state with its lookup built once, for many small joins) answers ``as_of`` with the very row
``merge_asof`` picks: per key, the last row in date order (ties in state order) dated strictly
before the target's date.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

STATE_DATE = "_state_date"


def trailing_sum(values: pd.Series, groups: pd.Series, n: int | None) -> pd.Series:
    """Per group, the sum over the last ``n`` rows up to and including each row (NaN as 0).

    ``n=None`` sums all earlier rows of the group. Rows must be sorted by group, then time.
    One cumulative sum over all rows, less the sum before each row's group (and before its
    window): exact for the integer-valued counts summed here, and far cheaper than a grouped
    cumsum and shift per column when a history is prepared.
    """
    v = np.nan_to_num(values.to_numpy(dtype="float64"), nan=0.0)
    g = groups.to_numpy()
    if len(v) == 0:
        return pd.Series(v, index=values.index)
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    first = np.repeat(starts, np.diff(np.r_[starts, len(v)]))  # first row of each row's group
    running = np.cumsum(v)
    before = np.r_[0.0, running][first]  # the running sum before the group began
    total = running - before
    if n is not None:
        back = np.arange(len(v)) - n
        total = total - np.where(back >= first, np.r_[0.0, total][np.maximum(back + 1, 0)], 0.0)
    return pd.Series(total, index=values.index)


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
    ones = pd.Series(1.0, index=ordered.index)
    # built apart and joined once: a column insert per sum was a sixth of preparing a history
    summed = {
        name: trailing_sum(ones if column == "_one" else ordered[column], groups, window)
        for name, (column, window) in sums.items()
    }
    return pd.concat([out, pd.DataFrame(summed, index=ordered.index)], axis=1)


def by_state_date(state: pd.DataFrame) -> pd.DataFrame:
    """``state`` stably sorted by ``STATE_DATE``; ``state`` itself when already in that order.

    A stable sort of an already ordered frame is the identity, so skipping it (an O(n)
    check instead of an O(n log n) sort and a copy of every column) changes no join.
    """
    if state[STATE_DATE].is_monotonic_increasing:
        return state
    return state.sort_values(STATE_DATE, kind="stable")


def as_of(
    targets: pd.DataFrame,
    state: pd.DataFrame | StateTable,
    by: Sequence[str] = (),
    on: str = "game_date",
) -> pd.DataFrame:
    """``state`` as of the end of the day before each target's ``on`` date, aligned to targets.

    ``targets`` must have a unique index; the result has the same index, NaN where a target
    has no earlier state row.
    """
    if isinstance(state, StateTable):
        if tuple(by) != state.by:
            raise ValueError(f"as_of: state table keyed by {state.by}, asked by {tuple(by)}")
        return state.as_of(targets, on)
    left = targets[[on, *by]].copy()
    left["_target"] = np.arange(len(left))
    left = left.dropna(subset=list(by)).sort_values(on, kind="stable")
    right = by_state_date(state)
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


@dataclass(frozen=True, eq=False)
class StateTable:
    """A state sorted by ``STATE_DATE`` with its per-key date lookup built once.

    A key is numbered from its columns' codes (``levels``); rows are ordered by (key, date)
    keeping state order within a key, and each row's place in that order is encoded as
    ``key * (dates + 1) + date rank``. The last row of a target's key dated strictly before
    its date is then one ``searchsorted`` away. ``row``, ``values`` and ``state_dates`` end
    with one empty (NaN / NaT) row that a target without a match reads.
    """

    frame: pd.DataFrame
    by: tuple[str, ...]
    levels: tuple[pd.Index, ...]
    dates: np.ndarray
    encoded: np.ndarray
    group: np.ndarray
    row: np.ndarray
    columns: pd.Index
    values: np.ndarray
    state_dates: np.ndarray

    @classmethod
    def of(cls, state: pd.DataFrame, by: Sequence[str] = ()) -> StateTable:
        """``state`` (a :func:`states` table) ready for repeated :func:`as_of` joins by ``by``."""
        frame = by_state_date(state)
        keys = tuple(by)
        factorized = [pd.factorize(frame[c]) for c in keys]
        levels = tuple(pd.Index(uniques) for _, uniques in factorized)
        codes = _key_codes([c for c, _ in factorized], levels, len(frame))
        state_dates = frame[STATE_DATE].to_numpy(dtype="datetime64[ns]")
        dates = np.unique(state_dates)
        if _key_count(levels) * (len(dates) + 1) >= 2**62:
            raise ValueError(f"StateTable: too many keys x dates to encode for {keys}")
        order = np.argsort(codes, kind="stable")  # by key; date order (and ties) kept within
        order = order[codes[order] >= 0]  # a state row without a key matches no target
        group = codes[order]
        encoded = group * (len(dates) + 1) + np.searchsorted(dates, state_dates[order])
        columns = [c for c in frame.columns if c not in keys and c != STATE_DATE]
        values = frame[columns].to_numpy(dtype="float64")
        return cls(
            frame=frame,
            by=keys,
            levels=levels,
            dates=dates,
            encoded=encoded,
            group=group,
            row=np.append(order, len(frame)),
            columns=pd.Index(columns, dtype="object"),
            values=np.vstack([values, np.full((1, len(columns)), np.nan)]),
            state_dates=np.append(state_dates, np.datetime64("NaT", "ns")),
        )

    def as_of(self, targets: pd.DataFrame, on: str = "game_date") -> pd.DataFrame:
        """What :func:`as_of` on ``frame`` returns for ``targets``, without a merge."""
        when = targets[on].to_numpy(dtype="datetime64[ns]")
        if bool(np.isnat(when).any()):
            raise ValueError(f"as_of: targets.{on} has null dates")
        # a NULL key is not in any level, so it matches nothing (merge_asof drops it)
        codes = [
            level.get_indexer(pd.Index(targets[c]))
            for c, level in zip(self.by, self.levels, strict=True)
        ]
        code = _key_codes(codes, self.levels, len(targets))
        earlier = np.searchsorted(self.dates, when, side="left")  # state dates strictly before
        pos = np.searchsorted(self.encoded, code * (len(self.dates) + 1) + earlier) - 1
        hit = (code >= 0) & (pos >= 0)
        hit[hit] = self.group[pos[hit]] == code[hit]
        row = self.row[np.where(hit, pos, -1)]
        out = pd.DataFrame(self.values[row], index=targets.index, columns=self.columns)
        out.insert(0, STATE_DATE, self.state_dates[row])
        return out


def _key_count(levels: Sequence[pd.Index]) -> int:
    count = 1
    for level in levels:
        count *= max(1, len(level))
    return count


def _key_codes(codes: Sequence[np.ndarray], levels: Sequence[pd.Index], n: int) -> np.ndarray:
    """One number per row from its key columns' codes (mixed radix); -1 if any is unknown."""
    key = np.zeros(n, dtype="int64")
    unknown = np.zeros(n, dtype=bool)
    for code, level in zip(codes, levels, strict=True):
        key = key * max(1, len(level)) + code
        unknown |= code < 0
    return np.where(unknown, -1, key)
