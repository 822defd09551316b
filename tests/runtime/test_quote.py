"""On-demand prices on a real date: they agree with the pipeline's own rows, every distribution
sums to 1, and the CLI and the HTTP function answer the same (and refuse bad questions)."""

from __future__ import annotations

import json
import math
import re
import shutil
from pathlib import Path
from typing import Any

import functions_framework
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from strikeouts.cli import app
from strikeouts.cloud.predict_http import service
from strikeouts.models.systems import SYSTEMS as REGISTERED
from strikeouts.pipeline.config import PipelineConfig
from strikeouts.pipeline.ensemble import base_weights, member_weights
from strikeouts.runtime.predictors import ModelPredictor
from strikeouts.runtime.quote import Price, QuoteError, pitcher_game_message, quote
from strikeouts.runtime.quote_json import parse_price
from strikeouts.runtime.runner import Runner, RunSummary
from strikeouts.settings import PROJECT_ROOT, Settings
from strikeouts.warehouse.duckdb_backend import DuckDBWarehouse

from .conftest import DAY

pytestmark = pytest.mark.data

SYSTEMS = list(REGISTERED)


@pytest.fixture(scope="module")
def day_run(
    warehouse: DuckDBWarehouse,
    predictors: list[ModelPredictor],
    tmp_path_factory: pytest.TempPathFactory,
) -> RunSummary:
    state = tmp_path_factory.mktemp("quote-state") / "state.duckdb"
    return Runner(warehouse, predictors, state).run(DAY, DAY, run_id="quote")


def test_a_quote_at_the_rows_line_equals_the_pipelines_rows(
    day_run: RunSummary, warehouse: DuckDBWarehouse, predictors: list[ModelPredictor]
) -> None:
    rows = day_run.rows
    ensemble = rows[(rows["system_id"] == "ensemble_v1") & (rows["status"] == "ok")]
    ensemble = ensemble[ensemble["line"].notna()]
    assert len(ensemble) >= 20
    for pitcher_id in ensemble["pitcher_id"].head(6):
        message = pitcher_game_message(warehouse, str(pitcher_id), DAY, SYSTEMS)
        got = {s.system_id: s for s in quote(message, predictors, []).systems}
        for _, row in rows[rows["pitcher_id"] == pitcher_id].iterrows():
            answer = got[row["system_id"]]
            assert answer.expected_strikeouts == pytest.approx(row["predicted_strikeouts"])
            assert answer.lines[0].line == row["line"]
            assert answer.lines[0].p_over == pytest.approx(row["p_over"])


def test_distributions_sum_to_one_and_probabilities_fall_with_the_line(
    warehouse: DuckDBWarehouse, predictors: list[ModelPredictor]
) -> None:
    pitcher_id = int(warehouse.query(
        "SELECT pitcher_id FROM pitcher_starts WHERE game_date = @d ORDER BY pitcher_id LIMIT 1",
        {"d": DAY},
    )["pitcher_id"].iloc[0])  # fmt: skip
    message = pitcher_game_message(warehouse, str(pitcher_id), DAY, SYSTEMS)
    lines = [Price(x + 0.5) for x in range(2, 11)]
    result = quote(message, predictors, [*lines, Price(6.0, -110, -110)])
    assert [s.system_id for s in result.systems] == [*SYSTEMS, "ensemble_v1"]
    for system in result.systems:
        assert len(system.distribution) == 21
        assert math.fsum(system.distribution) == pytest.approx(1.0, abs=1e-12)
        assert min(system.distribution) >= 0.0
        mean = sum(k * p for k, p in enumerate(system.distribution[:-1]))
        assert mean == pytest.approx(system.expected_strikeouts, abs=0.05)
        over = [q.p_over for q in system.lines[:-1]]
        assert over == sorted(over, reverse=True) and 0 < over[-1] < over[0] < 1
        whole = system.lines[-1]
        assert whole.p_over + whole.p_under == pytest.approx(1.0)
        assert whole.ev_over is not None and whole.ev_under is not None
        # at -110 both ways the two sides together lose the vig, scaled by P(no push)
        assert whole.ev_over + whole.ev_under < 0


@pytest.mark.parametrize(
    ("text", "named"), [("6.4", "'6.4'"), ("six", "'six'"), ("6.5@-50/+100", "'6.5@-50/+100'")]
)
def test_a_malformed_line_is_named(text: str, named: str) -> None:
    with pytest.raises(QuoteError, match=re.escape(named)):
        parse_price(text)


def _name(warehouse: DuckDBWarehouse) -> str:
    frame = warehouse.query(
        "SELECT pitcher_name FROM pitcher_starts WHERE game_date = @d ORDER BY pitcher_id",
        {"d": DAY},
    )
    return str(frame["pitcher_name"].iloc[3])


def test_the_cli_and_the_http_function_give_the_same_quote(
    cli_env: dict[str, str],
    warehouse: DuckDBWarehouse,
    warehouse_path: Path,
    model_dir: Path,
    tmp_path: Path,
) -> None:
    name = _name(warehouse)
    args = ["predict", "--pitcher", name, "--date", DAY.isoformat(), "--line", "5.5@-120/+100"]
    result = CliRunner().invoke(app, [*args, "--format", "json"], env=cli_env)
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["pitcher_name"] == name
    assert [s["system_id"] for s in document["systems"]] == [*SYSTEMS, "ensemble_v1"]

    warehouse.execute("CHECKPOINT")
    copy = tmp_path / "features.duckdb"  # the function opens its file read-only
    shutil.copyfile(warehouse_path, copy)
    service.configure(Settings(warehouse=str(copy), model_store=str(model_dir)))
    source = PROJECT_ROOT / "functions" / "predict" / "main.py"
    client = functions_framework.create_app("predict", str(source), "http").test_client()
    posted = client.post(
        "/", json={"pitcher": name, "date": DAY.isoformat(), "lines": ["5.5@-120/+100"]}
    )
    assert posted.status_code == 200, posted.get_data(as_text=True)
    assert posted.get_json() == document
    got = client.get("/", query_string={"pitcher": name, "date": DAY.isoformat(), "line": "7.5"})
    assert got.status_code == 200 and got.get_json()["systems"][0]["lines"][0]["line"] == 7.5

    bad: list[tuple[dict[str, Any], str]] = [
        ({"pitcher": name, "date": "July 18"}, "'date'"),
        ({"date": DAY.isoformat()}, "'pitcher'"),
        ({"pitcher": "Nobody Here", "date": DAY.isoformat()}, "Nobody Here"),
        ({"pitcher": name, "date": DAY.isoformat(), "lines": ["7.3"]}, "'7.3'"),
    ]
    for question, named in bad:
        answer = client.post("/", json=question)
        assert answer.status_code == 400 and named in answer.get_json()["error"], question


def test_the_cli_refuses_a_bad_question_in_one_line(cli_env: dict[str, str]) -> None:
    for args, named in [
        (["--pitcher", "Nobody Here", "--date", DAY.isoformat()], "Nobody Here"),
        (["--pitcher", "1", "--date", DAY.isoformat(), "--line", "x"], "'x'"),
        (["--pitcher", "1", "--date", "2025-07-15"], "2025-07-15"),  # All-Star break
    ]:
        result = CliRunner().invoke(app, ["predict", *args], env=cli_env)
        assert result.exit_code == 2, result.output
        assert named in result.output and "Traceback" not in result.output


def test_the_ensemble_mixture_is_the_weighted_systems(
    warehouse: DuckDBWarehouse, predictors: list[ModelPredictor]
) -> None:
    message = pitcher_game_message(warehouse, _name(warehouse), DAY, SYSTEMS)
    result = quote(message, predictors, [Price(5.5)])
    *members, ensemble = result.systems
    config = PipelineConfig()
    ids = [m.system_id for m in members]
    weights = member_weights(base_weights(ids, config), ids, config)
    assert ensemble.weights == pytest.approx(weights)
    mixed = sum(pd.Series(m.distribution) * weights[m.system_id] for m in members)
    assert ensemble.distribution == pytest.approx(mixed.tolist())
    # one distribution: the ensemble's P(over 5.5) and median are the mixture's own
    assert ensemble.lines[0].p_over == pytest.approx(sum(ensemble.distribution[6:]), abs=1e-9)
    cdf = np.cumsum(ensemble.distribution)
    assert ensemble.median == float(np.argmax(cdf >= 0.5))
    for member in members:
        assert member.lines[0].p_over == pytest.approx(sum(member.distribution[6:]), abs=1e-9)
