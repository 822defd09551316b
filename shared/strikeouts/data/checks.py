"""Column checks for raw rows: every failing value is recorded in :class:`Rejections`.

Invariant: a row that fails any check is marked bad (and later left out of its table) only
after a rejection naming its file, line, column, value and reason has been recorded; each
check records at most one rejection per row and column.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from strikeouts.data.rejections import Rejections


class RowChecks:
    """Checks on one raw frame (with ``_line``/``_raw``) read from ``path`` for ``table``."""

    def __init__(self, frame: pd.DataFrame, path: Path, rejections: Rejections, table: str):
        self.frame = frame
        self.path = path
        self.rejections = rejections
        self.table = table
        self.bad = pd.Series(False, index=frame.index)

    def reject(self, mask: pd.Series, column: str, reason: str) -> None:
        """Record the rows of ``mask`` as rejected because of ``column``."""
        mask = mask.fillna(False).astype(bool)
        if bool(mask.any()):
            self.rejections.add_frame(self.path, self.frame[mask], column, reason, self.table)
            self.bad |= mask

    def required(self, column: str) -> pd.Series:
        """The column's text, rejecting empty cells."""
        values = self.frame[column]
        self.reject(values.isna() | (values.str.strip() == ""), column, "missing value")
        return values

    def date(self, column: str, fmt: str) -> pd.Series:
        """The column parsed as dates in ``fmt``, rejecting missing or malformed ones."""
        values = self.frame[column]
        parsed = pd.to_datetime(values, format=fmt, errors="coerce")
        self.reject(parsed.isna(), column, f"missing or malformed date (expected {fmt})")
        return parsed

    def count(self, column: str, *, required: bool = True, unknown: str | None = None) -> pd.Series:
        """The column as a non-negative integer (Int64), rejecting non-numeric or negative ones.

        Empty cells are NULL when not ``required``; ``unknown`` is a marker that means NULL.
        """
        values = self.frame[column]
        empty = values.isna() | (values.str.strip() == "")
        if unknown is not None:
            empty |= values.str.strip() == unknown
        number = pd.to_numeric(values.where(~empty), errors="coerce")
        not_int = number.notna() & (number != number.round())
        if required:
            self.reject(empty, column, "missing count")
        self.reject(~empty & number.isna(), column, "non-numeric count")
        self.reject(number < 0, column, "negative count")
        self.reject(not_int, column, "non-integer count")
        ok = number.where((number >= 0) & ~not_int)
        return ok.round().astype("Int64")

    def team(self, column: str, codes: Mapping[str, str]) -> pd.Series:
        """The column translated through ``codes`` to canonical team codes."""
        values = self.frame[column]
        mapped = values.map(codes)
        self.reject(mapped.isna(), column, f"unknown team code (known: {len(codes)} codes)")
        return mapped

    def numeric_id(self, column: str, what: str = "MLBAM id") -> pd.Series:
        """The column as a positive integer id (Int64), rejecting anything else."""
        number = pd.to_numeric(self.frame[column], errors="coerce")
        self.reject(
            number.isna() | (number <= 0) | (number != number.round()),
            column,
            f"missing or non-numeric {what}",
        )
        return number.where(number > 0).round().astype("Int64")

    def boolean(self, column: str, true: str, false: str) -> pd.Series:
        """The column as booleans from the two accepted spellings (case-insensitive)."""
        text = self.frame[column].str.strip().str.lower()
        self.reject(~text.isin([true, false]), column, f"expected {true!r} or {false!r}")
        return (text == true).astype("boolean").where(text.isin([true, false]))

    def good(self) -> pd.Series:
        """Rows that passed every check so far."""
        return ~self.bad


def reject_traced(
    rejections: Rejections,
    rows: pd.DataFrame,
    column: str,
    reason: str,
    table: str,
) -> None:
    """Record ``rows`` (carrying ``source_file``, ``_line``, ``_raw``) as rejected."""
    for source, line, value, raw in zip(
        rows["source_file"], rows["_line"], rows[column], rows["_raw"], strict=True
    ):
        rejections.add(source, int(line), column, value, reason, raw, table)


def keep_first(
    frame: pd.DataFrame, keys: list[str], rejections: Rejections, table: str
) -> pd.DataFrame:
    """``frame`` without later rows repeating an earlier row's key (each one rejected)."""
    repeated = frame.duplicated(subset=keys, keep="first")
    if bool(repeated.any()):
        reject_traced(rejections, frame[repeated], keys[0], f"duplicate key {keys}", table)
    return frame[~repeated]
