"""Rejected input rows: collected while reading, written to the ``rejected_rows`` table.

Nothing malformed is dropped silently: every rejected row keeps its file, line number,
column, value, reason and the raw row, so an operator can find and fix it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd


@dataclass
class Rejections:
    """Collects rejected rows from every reader during one ingest run."""

    rows: list[dict[str, object]] = field(default_factory=list)

    def add(
        self,
        source_file: Path | str,
        line_number: int,
        column: str,
        value: object,
        reason: str,
        raw: str | None = None,
        target_table: str | None = None,
    ) -> None:
        """Record one rejected row (``line_number`` is 1-based, the header being line 1)."""
        self.rows.append(
            {
                "source_file": str(source_file),
                "line_number": int(line_number),
                "column_name": column,
                "value": None if _missing(value) else str(value),
                "reason": reason,
                "raw": raw,
                "target_table": target_table,
            }
        )

    def add_frame(
        self,
        source_file: Path | str,
        bad: pd.DataFrame,
        column: str,
        reason: str,
        target_table: str | None = None,
    ) -> None:
        """Record every row of ``bad`` (which must carry ``_line`` and ``_raw`` columns)."""
        for line, value, raw in zip(bad["_line"], bad[column], bad["_raw"], strict=True):
            self.add(source_file, int(line), column, value, reason, raw, target_table)

    def __len__(self) -> int:
        return len(self.rows)

    def frame(self, now: datetime | None = None) -> pd.DataFrame:
        """The rejections as rows of the ``rejected_rows`` table."""
        stamp = now or datetime.now(UTC)
        out = pd.DataFrame(
            self.rows,
            columns=[
                "source_file",
                "line_number",
                "column_name",
                "value",
                "reason",
                "raw",
                "target_table",
            ],
        )
        out["rejected_at"] = pd.Timestamp(stamp)
        return out


def _missing(value: object) -> bool:
    """None, NaN, NA or NaT: an empty cell, stored as NULL rather than the text 'nan'."""
    return value is None or (
        isinstance(value, float | type(pd.NA) | type(pd.NaT)) and pd.isna(value)
    )
