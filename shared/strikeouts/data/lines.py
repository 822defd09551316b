"""Sportsbook strikeout prop lines → rows of the ``prop_lines`` table.

Invariant: every input row is either in the output (matched to a pitcher or not, with the
method and, when it joined no start, the reason) or recorded in ``rejections`` with its
file, line number, column, value and raw text — never both, never neither. At most one
row per (game_date, event_id, pitcher_name): a repeat across files keeps the row with the
latest close snapshot (on a tie, the first read) and rejects the
others.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from strikeouts.data.files import KINDS
from strikeouts.data.names_match import match_pitchers
from strikeouts.data.rejections import Rejections
from strikeouts.data.tables import read_csv
from strikeouts.data.teams import TeamCodes
from strikeouts.warehouse.base import conform

DUPLICATE_EVENT = "duplicate_event_for_start"  # a postponed game left two events that day

TABLE = "prop_lines"
MAX_LINE = 20.0  # no starter's strikeout prop is anywhere near this; larger is a feed error
KEY = ["game_date", "event_id", "pitcher_name"]

_LINES = ["open_line", "close_line"]
_ODDS = ["open_over", "open_under", "close_over", "close_under"]
_COUNTS = ["n_snapshots", "open_n_books", "close_n_books", "close_n_lines"]
_STAMPS = ["game_time", "open_snapshot_at", "close_snapshot_at"]
_JSON = ["close_main_line_books_json", "close_all_lines_json"]


def build_prop_lines(
    paths: list[Path],
    players: pd.DataFrame,
    starts: pd.DataFrame,
    teams: TeamCodes,
    rejections: Rejections,
) -> pd.DataFrame:
    """Rows of the prop_lines table (schemas/bigquery/prop_lines.json) from every lines file."""
    frames = [_valid_rows(path, teams, rejections) for path in paths]
    frames = [f for f in frames if not f.empty]
    if not frames:
        return conform(TABLE, pd.DataFrame(columns=[*KEY, "match_method"]))
    rows = _drop_repeats(pd.concat(frames, ignore_index=True), rejections)
    matched = match_pitchers(rows, players, starts)
    out = rows.drop(columns=["_file", "_line", "_raw"]).join(
        matched.rename(columns={"player_id": "pitcher_id"})
    )
    return conform(TABLE, one_line_per_start(out).sort_values(KEY).reset_index(drop=True))


def one_line_per_start(lines: pd.DataFrame) -> pd.DataFrame:
    """At most one line joins each start: the event whose snapshots ran latest.

    A postponed game can leave two events on one day for the same pitchers; the event that
    was played is the one the books kept pricing closest to first pitch. The other keeps its
    pitcher but loses ``game_id`` (with a reason), so no start is counted twice.
    """
    joined = lines["game_id"].notna()
    order = lines[joined].sort_values("close_snapshot_at", ascending=False, kind="stable")
    repeat = order.duplicated(subset=["game_id", "pitcher_id"], keep="first")
    dropped = order.index[repeat]
    out = lines.copy()
    out.loc[dropped, "game_id"] = None
    out.loc[dropped, "unmatched_reason"] = DUPLICATE_EVENT
    return out


def _valid_rows(path: Path, teams: TeamCodes, rejections: Rejections) -> pd.DataFrame:
    """The file's rows parsed to table types; each malformed row is rejected once, by its
    first bad column."""
    raw = read_csv(path, columns=list(KINDS["prop_lines"].required_columns))
    for col in _LINES + _ODDS + _COUNTS + _STAMPS + _JSON:
        if col not in raw.columns:
            raw[col] = pd.NA
    out = pd.DataFrame({"_file": str(path), "_line": raw["_line"], "_raw": raw["_raw"]})
    bad = pd.Series("", index=raw.index)
    bad_col = pd.Series("", index=raw.index)

    def check(col: str, parsed: pd.Series, invalid: pd.Series, reason: str) -> None:
        out[col] = parsed
        new = invalid & (bad == "")
        bad[new] = reason
        bad_col[new] = col

    date = pd.to_datetime(raw["game_date"], format="%Y-%m-%d", errors="coerce")
    check("game_date", date.dt.date, date.isna(), "missing or invalid date (want YYYY-MM-DD)")
    for col in ("event_id", "pitcher_name"):
        text = raw[col].str.strip()
        check(col, text, text.isna() | (text == ""), f"missing {col}")
    for col in ("away_team", "home_team"):
        code = raw[col].map(teams.from_full_name)
        check(col, code, code.isna(), "unknown team name (not in team_codes.csv)")
    for col in _LINES:
        value = pd.to_numeric(raw[col], errors="coerce")
        invalid = raw[col].notna() & ~((value > 0) & (value <= MAX_LINE))
        check(col, value, invalid, f"line must be a number in (0, {MAX_LINE:g}]")
    no_line = raw["open_line"].isna() & raw["close_line"].isna()
    check("close_line", out["close_line"], no_line, "no open_line and no close_line")
    for col in _ODDS:
        check(col, *_integers(raw[col], lambda v: v.abs() >= 100), "American odds must be an "
              "integer with |odds| >= 100")  # fmt: skip
    for col in _COUNTS:
        check(col, *_integers(raw[col], lambda v: v >= 0), "must be a non-negative integer")
    for col in _STAMPS:
        stamp = pd.to_datetime(raw[col], utc=True, format="ISO8601", errors="coerce")
        check(col, stamp, raw[col].notna() & stamp.isna(), "invalid ISO-8601 timestamp")
    for col in _JSON:
        check(col, raw[col], raw[col].notna() & ~raw[col].map(_is_json), "invalid JSON")
    for i in raw.index[bad != ""]:
        row = raw.loc[i]
        col = str(bad_col[i])
        rejections.add(path, int(row["_line"]), col, row[col], str(bad[i]), str(row["_raw"]), TABLE)
    return out[bad == ""]


def _integers(
    text: pd.Series, sane: Callable[[pd.Series], pd.Series]
) -> tuple[pd.Series, pd.Series]:
    """Parsed integers and which present cells are not integers or fail ``sane``."""
    value = pd.to_numeric(text, errors="coerce")
    whole = value.notna() & (value == value.round())
    invalid = text.notna() & ~(whole & sane(value).fillna(False))
    return value.where(whole & ~invalid).astype("Int64"), invalid


def _is_json(text: object) -> bool:
    if not isinstance(text, str):
        return True
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _drop_repeats(rows: pd.DataFrame, rejections: Rejections) -> pd.DataFrame:
    """One row per key: the latest close snapshot wins (on a tie, the first read)."""
    rows = rows.sort_values("close_snapshot_at", ascending=False, na_position="last", kind="stable")
    repeat = rows.duplicated(KEY, keep="first")
    for file, line, name, raw in zip(
        rows.loc[repeat, "_file"],
        rows.loc[repeat, "_line"],
        rows.loc[repeat, "pitcher_name"],
        rows.loc[repeat, "_raw"],
        strict=True,
    ):
        rejections.add(
            file,
            int(line),
            "event_id",
            name,
            "repeat of (game_date, event_id, pitcher_name); kept the latest close snapshot",
            raw,
            TABLE,
        )
    return rows[~repeat].reset_index(drop=True)
