"""Resolve feed pitcher names on a game date to register players and to the start they made.

Invariant: every query row gets exactly one answer row (same index). ``player_id`` is set
only when one register player is the best candidate; ``game_id`` only when that player
started on ``game_date`` for one of the two teams of the event; whenever ``game_id`` is
NULL, ``unmatched_reason`` says why. Among candidates, one who started for a team in the
event wins over stricter spellings of someone who did not: the start is the strongest
evidence of who the line was about.
"""

from __future__ import annotations

import pandas as pd

from strikeouts.data.names import (
    RANK,
    ParsedName,
    parse_full_name,
    parse_parts,
    query_keys,
    register_keys,
)

# Values of ``unmatched_reason``.
NO_CANDIDATE = "no_register_candidate"
AMBIGUOUS = "ambiguous"
NO_START = "no_start_that_day"
OUTSIDE_STARTS = "date_outside_starts_range"
NO_GAME = "no_game_in_starts"  # neither team started anyone that day: postseason, postponed

RESOLVED_BY_START = "ambiguous_resolved_by_start"
RESOLVED_BY_SEASON = "ambiguous_resolved_by_season"
UNMATCHED = "unmatched"

_OUT = ["player_id", "match_method", "game_id", "unmatched_reason"]


def match_pitchers(
    queries: pd.DataFrame, players: pd.DataFrame, starts: pd.DataFrame
) -> pd.DataFrame:
    """One row per query (``pitcher_name``, ``game_date``, ``home_team``, ``away_team``).

    Returns ``player_id``, ``match_method``, ``game_id`` and ``unmatched_reason`` on the
    queries' index. ``starts`` needs ``game_date``, ``pitcher_id``, ``team``, ``game_id``.
    """
    q = _queries(queries)
    cands = _name_candidates(q, players)
    cands = pd.concat([cands, _last_name_team_candidates(q, cands, players, starts)])
    cands = _with_starts(cands, q, starts)
    cands = _with_activity(cands, q, players)
    chosen = _choose(cands)
    out = q[["qid", "game_date"]].merge(chosen, on="qid", how="left")
    out["match_method"] = out["match_method"].fillna(UNMATCHED)
    lo, hi = _date_range(starts)
    outside = (out["game_date"] < lo) | (out["game_date"] > hi)
    reason = out["unmatched_reason"].copy()
    reason[out["player_id"].isna() & reason.isna()] = NO_CANDIDATE
    # Structural reasons first: with no game to join, no spelling could have joined one.
    reason[~_event_in_starts(q, starts)] = NO_GAME
    reason[outside] = OUTSIDE_STARTS
    out["unmatched_reason"] = reason.where(out["game_id"].isna(), None)
    out["player_id"] = out["player_id"].astype("Int64")
    return out[_OUT].set_axis(queries.index)


def _queries(queries: pd.DataFrame) -> pd.DataFrame:
    q = queries[["pitcher_name", "game_date", "home_team", "away_team"]].reset_index(drop=True)
    q = q.assign(qid=range(len(q)), game_date=pd.to_datetime(q["game_date"]).dt.normalize())
    return q


def _date_range(starts: pd.DataFrame) -> tuple[pd.Timestamp, pd.Timestamp]:
    dates = pd.to_datetime(starts["game_date"])
    if dates.empty:
        return pd.Timestamp.max, pd.Timestamp.min
    return dates.min().normalize(), dates.max().normalize()


def _event_in_starts(q: pd.DataFrame, starts: pd.DataFrame) -> pd.Series:
    """Whether either team of each query's event has a start on its date."""
    days = _starts_frame(starts)[["game_date", "team"]].drop_duplicates()
    found = pd.Series(False, index=q.index)
    for side in ("home_team", "away_team"):
        hit = q.merge(days, left_on=["game_date", side], right_on=["game_date", "team"])
        found |= q["qid"].isin(hit["qid"])
    return found


def _name_candidates(q: pd.DataFrame, players: pd.DataFrame) -> pd.DataFrame:
    """(qid, player_id, rank): every register player some method finds, at its best rank."""
    keys = query_keys(q["pitcher_name"])
    found = keys.merge(register_keys(players), on=["method", "key"])
    found["rank"] = found["method"].map(RANK)
    cands = q[["qid", "pitcher_name"]].merge(found, left_on="pitcher_name", right_on="name")
    cands = cands.sort_values("rank").drop_duplicates(["qid", "player_id"])
    cands = _drop_wrong_birth_year(cands, players)
    return cands[["qid", "player_id", "method", "rank"]]


def _drop_wrong_birth_year(cands: pd.DataFrame, players: pd.DataFrame) -> pd.DataFrame:
    """Feeds tell same-name players apart with a birth year, ``Max Muncy (2002)``: honour it."""
    hint = cands["pitcher_name"].map(lambda n: parse_full_name(n).birth_year)
    born = cands["player_id"].map(
        players.set_index("player_id")["birth_date"].map(lambda d: getattr(d, "year", None))
    )
    wrong = hint.notna() & born.notna() & (hint != born)
    return cands[~wrong]


def _last_name_team_candidates(
    q: pd.DataFrame, cands: pd.DataFrame, players: pd.DataFrame, starts: pd.DataFrame
) -> pd.DataFrame:
    """For names no spelling finds: a starter that day for an event team with the same
    surname and first initial (catches given-name variants missing from the table)."""
    lost = q[~q["qid"].isin(cands["qid"])]
    if lost.empty or starts.empty:
        return cands.iloc[0:0]
    day = _starts_frame(starts)[["game_date", "pitcher_id", "team"]]
    pairs = pd.concat(
        [
            lost.merge(day, left_on=["game_date", side], right_on=["game_date", "team"])
            for side in ("home_team", "away_team")
        ]
    )
    names = players.set_index("player_id")
    keep = []
    for qid, name, pid in zip(
        pairs["qid"], pairs["pitcher_name"], pairs["pitcher_id"], strict=True
    ):
        if pid in names.index and _same_surname_initial(
            parse_full_name(name),
            parse_parts(names.at[pid, "name_first"], names.at[pid, "name_last"]),
        ):
            keep.append((qid, pid))
    out = pd.DataFrame(keep, columns=["qid", "player_id"]).drop_duplicates()
    return out.assign(method="last_name_team", rank=RANK["last_name_team"]).astype(
        {"qid": "int64", "player_id": "int64"}
    )


def _same_surname_initial(feed: ParsedName, register: ParsedName) -> bool:
    return (
        bool(feed.key)
        and bool(register.last_key)
        and feed.key.endswith(register.last_key)
        and feed.key[:1] == register.key[:1]
    )


def _starts_frame(starts: pd.DataFrame) -> pd.DataFrame:
    s = starts[["game_date", "pitcher_id", "team", "game_id"]].copy()
    s["game_date"] = pd.to_datetime(s["game_date"]).dt.normalize()
    s["pitcher_id"] = s["pitcher_id"].astype("int64")
    return s


def _with_starts(cands: pd.DataFrame, q: pd.DataFrame, starts: pd.DataFrame) -> pd.DataFrame:
    """Mark candidates who started on the query's date for one of the event's teams."""
    c = cands.merge(q[["qid", "game_date", "home_team", "away_team"]], on="qid")
    s = _starts_frame(starts).rename(columns={"pitcher_id": "player_id"})
    c = c.merge(s.drop_duplicates(["game_date", "player_id", "team"]), how="left")
    c["started"] = c["team"].notna() & (
        (c["team"] == c["home_team"]) | (c["team"] == c["away_team"])
    )
    # A doubleheader or a wrong-team row can add rows; keep the event start if there is one.
    c = c.sort_values(["qid", "player_id", "started"], ascending=[True, True, False])
    c = c.drop_duplicates(["qid", "player_id"])
    c["game_id"] = c["game_id"].where(c["started"], None)
    return c


def _with_activity(cands: pd.DataFrame, q: pd.DataFrame, players: pd.DataFrame) -> pd.DataFrame:
    """Mark candidates whose MLB career spans the query's season."""
    span = players.set_index("player_id")[["mlb_played_first", "mlb_played_last"]]
    c = cands.join(span, on="player_id")
    season = c["game_date"].dt.year
    c["active"] = (
        (c["mlb_played_first"].fillna(0) <= season) & (c["mlb_played_last"].fillna(9999) >= season)
    ).astype(bool)
    return c


def _choose(c: pd.DataFrame) -> pd.DataFrame:
    """The single best candidate per query, or an unmatched row saying why not."""
    if c.empty:
        return pd.DataFrame(columns=["qid", *_OUT])
    g = c.groupby("qid")
    c = c.assign(
        any_started=g["started"].transform("any"),
        best_started=c["rank"].where(c["started"]).groupby(c["qid"]).transform("min"),
        best=g["rank"].transform("min"),
    )
    by_start = c[c["any_started"] & c["started"] & (c["rank"] == c["best_started"])]
    by_name = c[~c["any_started"] & (c["rank"] == c["best"])]
    n_name = by_name.groupby("qid")["player_id"].transform("size")
    active = by_name[(n_name > 1) & by_name["active"]]
    n_active = active.groupby("qid")["player_id"].transform("size")
    # Rivals at the same or a stricter rank mean the start, not the spelling, decided.
    rivals = c[c["rank"] <= c["best_started"]].groupby("qid")["player_id"].size()
    started = by_start.assign(
        match_method=by_start["method"].where(by_start["qid"].map(rivals).eq(1), RESOLVED_BY_START),
        unmatched_reason=None,
    )
    single = by_name[n_name == 1].assign(unmatched_reason=NO_START, game_id=None)
    season = active[n_active == 1].assign(
        match_method=RESOLVED_BY_SEASON, unmatched_reason=NO_START, game_id=None
    )
    single = single.assign(match_method=single["method"])
    chosen = pd.concat([started, single, season])
    chosen = chosen[~chosen["qid"].duplicated(keep=False)]
    left = c.loc[~c["qid"].isin(chosen["qid"]), ["qid"]].drop_duplicates()
    left = left.assign(
        player_id=None, match_method=UNMATCHED, game_id=None, unmatched_reason=AMBIGUOUS
    )
    return pd.concat([chosen[["qid", *_OUT]], left], ignore_index=True)
