"""Precedence between the bulk files and rows the live results intake wrote.

Invariant: a full ingest rebuilds its tables from the files, yet never drops or duplicates
what the live intake added. Live rows (``source = 'statsapi'``; live rejections, whose
``source_file`` is a URL) are read before the rebuild and written back in the same
``replace_table`` as the bulk rows, except where the files hold the same start or game (same
``game_id``, or same ``game_pk``): there the curated files win, and the count of such
superseded rows and of those whose strikeouts or outs disagreed is reported.
"""

from __future__ import annotations

import pandas as pd

from strikeouts.warehouse.base import Warehouse

LIVE_SOURCE = "statsapi"
LIVE_SQL = {
    "pitcher_starts": f"SELECT * FROM pitcher_starts WHERE source = '{LIVE_SOURCE}'",
    "games": f"SELECT * FROM games WHERE source = '{LIVE_SOURCE}'",
    "rejected_rows": "SELECT * FROM rejected_rows WHERE STARTS_WITH(source_file, 'http')",
}
_KEYS = {"pitcher_starts": ["pitcher_id"], "games": []}


def live_rows(warehouse: Warehouse) -> dict[str, pd.DataFrame]:
    """The rows the live intake wrote, per table (empty when a table does not exist yet)."""
    return {
        table: warehouse.query(sql) if warehouse.row_count(table) else pd.DataFrame()
        for table, sql in LIVE_SQL.items()
    }


def with_live(
    table: str, bulk: pd.DataFrame, live: pd.DataFrame
) -> tuple[pd.DataFrame, dict[str, int]]:
    """``bulk`` plus the live rows no bulk row supersedes, and the precedence counts."""
    if live.empty:
        return bulk, {}
    if table not in _KEYS:
        return pd.concat([bulk, live[list(bulk.columns)]], ignore_index=True), {}
    extra = _KEYS[table]
    held = _held(bulk, live, ["game_id", *extra]) | _held(bulk, live, ["game_pk", *extra])
    checks = {f"live_{table}_kept": int((~held).sum()), f"live_{table}_superseded": int(held.sum())}
    if table == "pitcher_starts":
        checks["live_pitcher_starts_disagree"] = _disagreements(bulk, live[held])
    kept = live[~held][[c for c in bulk.columns if c in live.columns]]
    return pd.concat([bulk, kept], ignore_index=True), checks


def _held(bulk: pd.DataFrame, live: pd.DataFrame, keys: list[str]) -> pd.Series:
    """Whether each live row's ``keys`` appear in ``bulk`` (NULL keys never match)."""
    left = live[keys].dropna()
    found = pd.MultiIndex.from_frame(left.astype(str)).isin(
        pd.MultiIndex.from_frame(bulk[keys].dropna().astype(str))
    )
    return pd.Series(found, index=left.index).reindex(live.index, fill_value=False)


def _disagreements(bulk: pd.DataFrame, live: pd.DataFrame) -> int:
    """Superseded live starts whose strikeouts or outs differ from the bulk row's."""
    differ: set[int] = set()
    for key in ("game_id", "game_pk"):
        both = live.reset_index().merge(bulk, on=[key, "pitcher_id"], suffixes=("", "_bulk"))
        bad = (both["strikeouts"] != both["strikeouts_bulk"]) | (both["outs"] != both["outs_bulk"])
        differ |= set(both.loc[bad, "index"])
    return len(differ)
