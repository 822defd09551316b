"""The daily loop through consecutive days against the local fixture API, via the CLI."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from strikeouts.cli import app
from strikeouts.features.history import History
from strikeouts.models.systems import SYSTEMS
from strikeouts.sources.consensus import consensus
from strikeouts.sources.ports import LineQuote
from strikeouts.warehouse.duckdb_backend import DuckDBWarehouse

from .conftest import D1
from .fixture_api import FixtureApi

pytestmark = pytest.mark.data

DAYS = ("2025-07-04", "2025-07-05")


def _invoke(env: dict[str, str], *args: str) -> str:
    result = CliRunner().invoke(app, list(args), env=env)
    assert result.exit_code == 0, result.output
    return result.output


def _box(api: FixtureApi, day: str) -> pd.DataFrame:
    rows = []
    for game in api.schedule(day)["dates"][0]["games"]:
        box = api.load(f"{day}/statsapi/boxscore_{game['gamePk']}.json")
        for side in ("home", "away"):
            first = box["teams"][side]["pitchers"][0]
            stats = box["teams"][side]["players"][f"ID{first}"]["stats"]["pitching"]
            rows.append(
                {
                    "game_pk": game["gamePk"],
                    "pitcher_id": first,
                    "k": stats["strikeOuts"],
                    "outs": stats["outs"],
                }
            )
    return pd.DataFrame(rows)


def _fixture_consensus(api: FixtureApi, day: str) -> dict[str, float]:
    """Pitcher name → the main line computed straight from the fixture odds files."""
    out: dict[str, float] = {}
    for path in sorted((api.root / day / "odds").glob("event_*_odds.json")):
        data = api.load(f"{day}/odds/{path.name}")
        pairs: dict[tuple[str, str, float], dict[str, int]] = {}
        for book in data["bookmakers"]:
            for outcome in book["markets"][0]["outcomes"]:
                key = (book["key"], outcome["description"], float(outcome["point"]))
                pairs.setdefault(key, {})[outcome["name"]] = outcome["price"]
        quotes = [
            LineQuote(b, n, p, v.get("Over"), v.get("Under")) for (b, n, p), v in pairs.items()
        ]
        out.update({c.pitcher_name: c.line for c in consensus(quotes)})
    return out


def test_two_game_days_results_grades_and_slates(api: FixtureApi, cli_env: dict[str, str]) -> None:
    first = _invoke(cli_env, "daily", "--date", DAYS[0], "--live")
    assert (
        "results 2025-07-03: 0 games" in first
        and "slate 2025-07-04: 15 games, 30 starters" in first
    )
    api.final.add(DAYS[0])
    second = _invoke(cli_env, "daily", "--date", DAYS[1], "--live")
    assert "results 2025-07-04: 15 games, 15 final" in second and "30 starts written" in second
    api.final.add(DAYS[1])
    third = _invoke(cli_env, "results", "--date", DAYS[1], "--live")
    assert "30 starts written" in third

    wh = DuckDBWarehouse(cli_env["STRIKEOUTS_WAREHOUSE"])
    try:
        for day in DAYS:
            params = {"d": dt.date.fromisoformat(day)}
            starts = wh.query("SELECT * FROM pitcher_starts WHERE game_date = @d", params)
            got = starts.rename(columns={"strikeouts": "k"})[["game_pk", "pitcher_id", "k", "outs"]]
            want = _box(api, day)
            pd.testing.assert_frame_equal(
                got.astype("int64").sort_values(["game_pk", "pitcher_id"]).reset_index(drop=True),
                want.astype("int64").sort_values(["game_pk", "pitcher_id"]).reset_index(drop=True),
            )
            preds = wh.query(
                "SELECT * FROM pitcher_strikeout_predictions_latest WHERE game_date = @d", params
            )
            ens = preds[preds["system_id"] == "ensemble_v1"]
            assert len(ens) == 30 and len(preds) == 30 * (len(SYSTEMS) + 1)
            # the champions were fitted on the history before 07-04: every row says so
            answered = preds[preds["predicted_strikeouts"].notna()]
            assert {pd.Timestamp(d).date() for d in answered["train_end"]} == {D1}
            lines = _fixture_consensus(api, day)
            fed = wh.query(
                "SELECT p.line, s.pitcher_name AS feed_name FROM pitcher_strikeout_predictions p "
                "JOIN prop_line_snapshots s USING (game_id, pitcher_id) "
                "WHERE p.system_id = 'ensemble_v1' AND p.game_date = @d",
                params,
            )
            assert len(fed) == ens["line"].notna().sum() >= 20
            assert [lines[n] for n in fed["feed_name"]] == list(fed["line"])
            grades = wh.query("SELECT * FROM prediction_grades WHERE game_date = @d", params)
            assert len(grades) == len(preds)  # every row graded, none pending
            joined = grades.merge(starts, on=["game_id", "pitcher_id"], how="left")
            started = joined["strikeouts"].notna()
            assert (
                joined.loc[started, "actual_strikeouts"] == joined.loc[started, "strikeouts"]
            ).all()
            assert set(joined.loc[~started, "bet_result"]) <= {"VOID"}
            with_line = joined[started & joined["line"].notna()]
            expect = [
                "OVER" if k > ln else "UNDER" if k < ln else "PUSH"
                for k, ln in zip(with_line["strikeouts"], with_line["line"], strict=True)
            ]
            assert list(with_line["outcome"]) == expect
            # a call is graded against its outcome; a PASS/NO_LINE/skip is no bet (how many
            # calls a day gets depends on the models: the rules are in test_grading.py)
            bet = joined["recommendation"].isin(["OVER", "UNDER"]) & started
            expected = [
                "PUSH" if o == "PUSH" else "WIN" if o == r else "LOSS"
                for o, r in zip(
                    joined.loc[bet, "outcome"], joined.loc[bet, "recommendation"], strict=True
                )
            ]
            assert list(joined.loc[bet, "bet_result"]) == expected
            assert set(joined.loc[started & ~bet, "bet_result"]) == {"NO_BET"}
        # D+1's features see D: the history as of 07-05 holds the 07-04 live starts, not 07-05's
        history = History.load(wh, before=dt.date(2025, 7, 5))
        assert (history.starts["game_date"] == pd.Timestamp("2025-07-04")).sum() == 30
        assert history.starts["game_date"].max() == pd.Timestamp("2025-07-04")
        fetches = wh.query("SELECT status, purpose FROM source_fetches")
        assert set(fetches["status"]) == {"ok"} and {"schedule", "lines", "results"} <= set(
            fetches["purpose"]
        )
    finally:
        wh.close()
    # the demo's case: champions fitted before the first date, so no row is in sample
    args = ["monitor", "--date", DAYS[1], "--check", "in_sample_rows", "--format", "json"]
    in_sample = CliRunner().invoke(app, args, env=cli_env)
    assert in_sample.exit_code == 0, in_sample.output
    assert [(r["status"], r["value"]) for r in json.loads(in_sample.stdout)] == [("pass", 0.0)]
    # the same days offline, from the warehouse the live loop filled: D's grades are redone
    # (same rows, idempotent) and D+1's slate is built from its taken results
    offline = _invoke(cli_env, "daily", "--date", DAYS[1])
    assert f"grades 2025-07-04: {30 * (len(SYSTEMS) + 1)} prediction rows graded" in offline
    assert "30 pitcher-games over 1 date(s)" in offline
    wh = DuckDBWarehouse(cli_env["STRIKEOUTS_WAREHOUSE"])
    try:
        # 07-04 regraded in place (no duplicate), 07-05 as before: two days of 30 starts
        assert _count_grades(wh) == 2 * 30 * (len(SYSTEMS) + 1)
        runs = wh.query(
            "SELECT COUNT(DISTINCT run_id) AS n FROM pitcher_strikeout_predictions "
            "WHERE game_date = '2025-07-05'"
        )
        assert int(runs["n"].iloc[0]) == 2  # the live run and the offline one
    finally:
        wh.close()


def _count_grades(wh: DuckDBWarehouse) -> int:
    return wh.row_count("prediction_grades")


def test_a_rerun_of_the_same_slate_writes_nothing_and_a_line_move_supersedes(
    api: FixtureApi, cli_env: dict[str, str], live_fixtures: Path
) -> None:
    _invoke(cli_env, "schedule", "--date", DAYS[0], "--live")
    again = _invoke(cli_env, "schedule", "--date", DAYS[0], "--live")
    assert "0 new rows" in again
    event = "0a71aa25c5a06a81d5fface3760c6f03"
    moved = api.load(f"{DAYS[0]}/odds/event_{event}_odds.json")
    for book in moved["bookmakers"]:
        book["markets"][0]["last_update"] = "2025-07-04T13:00:00Z"
        for outcome in book["markets"][0]["outcomes"]:
            if outcome["description"] == "Lucas Giolito":
                outcome["point"] = 6.5
    api.overrides[f"/v4/sports/baseball_mlb/events/{event}/odds"] = moved
    later = _invoke(cli_env, "schedule", "--date", DAYS[0], "--live")
    assert f"{30 * (len(SYSTEMS) + 1)} new rows" in later
    wh = DuckDBWarehouse(cli_env["STRIKEOUTS_WAREHOUSE"])
    try:
        latest = wh.query(
            "SELECT line, run_id FROM pitcher_strikeout_predictions_latest "
            "WHERE pitcher_name = 'Lucas Giolito' AND system_id = 'ensemble_v1'"
        )
        assert list(latest["line"]) == [6.5]
        all_rows = wh.query(
            "SELECT DISTINCT run_id FROM pitcher_strikeout_predictions WHERE game_date = '2025-07-04'"
        )
        assert len(all_rows) == 2
        snaps = wh.query("SELECT * FROM prop_line_snapshots WHERE pitcher_name = 'Lucas Giolito'")
        assert sorted(snaps["line"]) == [5.5, 6.5]  # both snapshots kept
    finally:
        wh.close()
