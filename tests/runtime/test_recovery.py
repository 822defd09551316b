"""Dead letters and rejections of the embedded pipeline put back to work, on a real date.

A state store that refuses one pitcher-game makes its messages dead-letter (nothing of it is
written); after the "fix", ``dead-letters redrive`` delivers them again and its rows appear.
A poison message is rejected; ``rejections replay`` sends a corrected payload on, after
refusing an invalid one with the field named.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from strikeouts.cli import app
from strikeouts.models.systems import SYSTEMS
from strikeouts.pipeline.clock import SystemClock
from strikeouts.pipeline.config import PipelineConfig
from strikeouts.pipeline.errors import StateConflict
from strikeouts.pipeline.handlers import Fanout
from strikeouts.runtime.features import WarehouseFeatureSource
from strikeouts.runtime.predictors import ModelPredictor
from strikeouts.runtime.runner import Runner, state_path
from strikeouts.runtime.schedule import schedule_event, slate
from strikeouts.warehouse.duckdb_backend import DuckDBWarehouse

from .conftest import DAY
from .test_runtime import Recorder

pytestmark = pytest.mark.data


def cli(cli_env: dict[str, str], *args: str) -> Any:
    result = CliRunner().invoke(app, list(args), env=cli_env)
    return result


def rows_of(path: Path, run_id: str) -> int:
    wh = DuckDBWarehouse(path)
    try:
        frame = wh.query(
            "SELECT COUNT(*) AS n FROM pitcher_strikeout_predictions WHERE run_id = @r",
            {"r": run_id},
        )
    finally:
        wh.close()
    return int(frame["n"].iloc[0])


def test_dead_letters_are_kept_listed_and_redriven_after_the_fix(
    cli_env: dict[str, str], warehouse_path: Path, predictors: list[ModelPredictor]
) -> None:
    wh = DuckDBWarehouse(warehouse_path)
    victim = int(slate(wh, DAY, DAY)["pitcher_id"].iloc[0])
    runner = Runner(wh, predictors, state_path(Path(cli_env["STRIKEOUTS_STATE_DIR"])))
    save = runner.store.save

    def broken_save(key: Any, *args: Any, **kwargs: Any) -> int:
        if key.pitcher_id == victim:
            raise StateConflict(f"injected: the state of {key} cannot be written")
        return save(key, *args, **kwargs)

    runner.store.save = broken_save  # type: ignore[method-assign]
    summary = runner.run(DAY, DAY, run_id="dead-letter-run")
    wh.close()
    letters_of_victim = 1 + len(SYSTEMS)  # its registration and every system's result
    rows = 30 * (len(SYSTEMS) + 1)
    assert summary.dead_letters == letters_of_victim
    assert rows_of(warehouse_path, "dead-letter-run") == rows - letters_of_victim

    listed = cli(cli_env, "dead-letters", "list", "--format", "json")
    assert listed.exit_code == 0, listed.output
    letters = json.loads(listed.output)
    assert len(letters) == letters_of_victim
    assert {d["labels"]["pitcher_id"] for d in letters} == {str(victim)}
    assert all("injected: the state of" in d["reason"] for d in letters)
    assert {d["topic"] for d in letters} == {"pitcher-games", "system-predictions"}

    dry = cli(cli_env, "dead-letters", "redrive", "--dry-run", "--filter", f"pitcher_id={victim}")
    assert dry.exit_code == 0 and f"would redrive {letters_of_victim}" in dry.output
    assert rows_of(warehouse_path, "dead-letter-run") == rows - letters_of_victim

    redriven = cli(cli_env, "dead-letters", "redrive", "--filter", f"pitcher_id={victim}")
    assert redriven.exit_code == 0, redriven.output
    n = letters_of_victim
    assert f"redrove {n} dead letter(s): {n} new rows" in " ".join(redriven.output.split())
    assert rows_of(warehouse_path, "dead-letter-run") == rows
    assert "0 dead letter(s)" in cli(cli_env, "dead-letters", "list").output
    again = cli(cli_env, "dead-letters", "redrive")
    assert again.exit_code == 0 and "redrove 0" in again.output


def test_a_rejected_message_is_replayed_once_corrected(
    cli_env: dict[str, str], warehouse_path: Path, predictors: list[ModelPredictor], tmp_path: Path
) -> None:
    wh = DuckDBWarehouse(warehouse_path)
    event = schedule_event(
        slate(wh, DAY, DAY).to_dict("records"), DAY, "fixed-run", SystemClock().now()
    )
    recorder = Recorder()
    Fanout(WarehouseFeatureSource(wh), recorder, PipelineConfig())(event)
    good = dict(recorder.sent[0])
    poison = {**good, "header": {k: v for k, v in good["header"].items() if k != "pitcher_id"}}  # type: ignore[union-attr]
    runner = Runner(wh, predictors, state_path(Path(cli_env["STRIKEOUTS_STATE_DIR"])))
    settled = runner.deliver([("pitcher-games", json.dumps(poison).encode(), {})])
    wh.close()
    handlers = len(SYSTEMS) + 1  # every system and the ensemble
    assert settled.rejected == handlers and settled.written == 0

    listed = cli(cli_env, "rejections", "list", "--format", "json")
    assert listed.exit_code == 0, listed.output
    rejections = json.loads(listed.output)
    assert len(rejections) == handlers and all("pitcher_id" in r["reason"] for r in rejections)
    sha = rejections[0]["payload_sha256"][:16]

    still_bad = tmp_path / "still_bad.json"
    still_bad.write_text(json.dumps({**poison, "header": {**poison["header"], "pitcher_id": "x"}}))
    refused = cli(cli_env, "rejections", "replay", "--sha", sha, "--payload", str(still_bad))
    assert refused.exit_code == 2, refused.output
    assert "pitcher_id" in refused.output and "Traceback" not in refused.output

    wrong_topic = tmp_path / "tick.json"
    wrong_topic.write_text(
        json.dumps({"schema_version": 1, "message_type": "ensemble-tick", "now": "x"})
    )
    assert (
        cli(cli_env, "rejections", "replay", "--sha", sha, "--payload", str(wrong_topic)).exit_code
        == 2
    )

    fixed = tmp_path / "fixed.json"
    fixed.write_text(json.dumps(good))
    replayed = cli(cli_env, "rejections", "replay", "--sha", sha, "--payload", str(fixed))
    assert replayed.exit_code == 0, replayed.output
    # the corrected message's header names the systems fanout expects, and the ensemble
    expected = len(PipelineConfig().expected_systems) + 1
    assert f"{expected} new rows" in replayed.output
    assert rows_of(warehouse_path, "fixed-run") == expected
