"""A deploy whose champion cannot predict, on the local stack (the session's stack): a new
v1_6_rolling version whose artifact is not a model is made champion and the function's
instances are replaced (what a deploy does). The function still answers (``error`` rows naming
why), so nothing waits for a deadline; the Cloud Build smoke then fails where it must (the
canary and ``deploy validate`` count answers, not rows) and its rollback path (``deploy
rollback`` from the snapshot taken before) puts the previous champion back, after which the
canary passes again.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from strikeouts.cli import app
from strikeouts.cloud.bigquery_warehouse import BigQueryWarehouse
from strikeouts.cloud.functions import open_function_model_store
from strikeouts.devstack.stack import StackInfo
from strikeouts.devstack.stack_control import restart_function
from strikeouts.monitoring.views import ensure_views
from strikeouts.settings import Settings

from .stack_session import ALIAS_TTL_SECONDS

pytestmark = [pytest.mark.emulator, pytest.mark.slow, pytest.mark.data]

SYSTEM = "v1_6_rolling"  # v1_baseline's versions are the promotion test's
FUNCTION = f"predict_{SYSTEM}"
DAY = dt.date(2025, 6, 24)


def _cli(settings: Settings, *args: str) -> Any:
    env = {"STRIKEOUTS_STATE_DIR": str(settings.state_dir), "COLUMNS": "400"}
    return CliRunner().invoke(app, list(args), env=env)


def _canary(settings: Settings) -> Any:
    args = ("deploy", "canary", "--date", DAY.isoformat(), "--backend", "stack")
    # the stack has no scheduler: tick every 5 s (the cloud default, 60 s, made each canary wait
    # a minute for its staged rows to merge)
    return _cli(settings, *args, "--timeout", "120", "--tick-every", "5")


def test_a_champion_that_cannot_predict_fails_the_smoke_and_is_rolled_back(
    stack_settings: Settings, info: StackInfo, cloud: BigQueryWarehouse, tmp_path: Path
) -> None:
    ensure_views(cloud)
    store = open_function_model_store(info.settings())
    good = store.aliases(SYSTEM)["champion"]
    snapshot = tmp_path / "snapshot.json"
    taken = _cli(stack_settings, "deploy", "snapshot", "--backend", "stack", "--out", str(snapshot))
    assert taken.exit_code == 0, taken.output

    # the deploy: bytes that are not a model become the champion; new instances start cold
    broken = store.save(SYSTEM, b"these bytes are not a model", store.metadata(SYSTEM, good))
    store.set_alias(SYSTEM, "champion", broken.version)
    restart_function(stack_settings, FUNCTION)
    since = dt.datetime.now(dt.UTC).isoformat()
    try:
        canary = _canary(stack_settings)
        assert canary.exit_code == 1, canary.output
        text = " ".join(canary.output.split())
        assert f"unanswered: {SYSTEM} " in text and "not loadable" in text
        answered, _, wanted = text.split(": ")[-1].split(" rows answered")[0].partition(" of ")
        assert 0 < int(answered) < int(wanted)  # the other system and the ensemble answered
        # the breaker opened, and the function's structured log says so (the alert's metric)
        log = StackInfo.recorded(stack_settings).processes[FUNCTION].log
        opened = [
            line
            for line in Path(log).read_text(errors="replace").splitlines()
            if '"circuit breaker transition"' in line and '"to_state": "open"' in line
        ]
        assert opened and f'"breaker": "{SYSTEM}"' in opened[0]

        args = ("deploy", "validate", "--date", DAY.isoformat(), "--since", since)
        validate = _cli(stack_settings, *args, "--format", "json")
        assert validate.exit_code == 1, validate.output
        report = json.loads(validate.output)
        # coverage reads the raw table; the views (and so performance) leave the canary's run out
        assert "coverage" in set(report["failed"])
        coverage = next(c for c in report["checks"] if c["check"] == "coverage")
        assert f"silent: {SYSTEM}" in coverage["detail"]
        assert "dead_letters" not in report["failed"]  # answered with errors, never retried
    finally:
        # the build's rollback path: aliases back from the snapshot, previous sources redeployed
        rolled = _cli(
            stack_settings, "deploy", "rollback", "--backend", "stack", "--snapshot", str(snapshot)
        )
        restart_function(stack_settings, FUNCTION)
    assert rolled.exit_code == 0, rolled.output
    assert f"{SYSTEM}@champion {broken.version} -> {good}" in rolled.output
    assert store.aliases(SYSTEM)["champion"] == good

    again = _canary(stack_settings)
    assert again.exit_code == 0, again.output
    text = again.output.strip().splitlines()[-1]
    answered, _, wanted = text.split(": ")[-1].split(" rows answered")[0].partition(" of ")
    assert answered == wanted
    assert ALIAS_TTL_SECONDS < 120  # the restarted instance resolved the restored alias
