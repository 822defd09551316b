"""The check catalog on real replayed rows: a clean date passes on both backends alike, and each
fault (a system's rows removed, a duplicate key, a dead letter, a stalled tick or merge, an
ensemble off its components) fails the check meant to see it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import pytest

from strikeouts.models.systems import system_ids
from strikeouts.monitoring.catalog import CATALOG, by_name
from strikeouts.monitoring.checks import CheckContext, CheckResult, failed_critical
from strikeouts.monitoring.service import monitor
from strikeouts.pipeline.config import PipelineConfig
from strikeouts.settings import PROJECT_ROOT, Settings
from strikeouts.warehouse import Warehouse

from .conftest import BACKENDS, LAST, VIEW_SYSTEMS, OpenLoaded

pytestmark = pytest.mark.data
NOW = dt.datetime(2025, 6, 17, 12, tzinfo=dt.UTC)
CLOUD_ONLY = {"tick_recent", "staged_rows_unmerged"}


def _run(
    warehouse: Warehouse, settings: Settings, *names: str, **context: Any
) -> dict[str, CheckResult]:
    context.setdefault("config", PipelineConfig(expected_systems=list(VIEW_SYSTEMS)))
    results = monitor(
        warehouse, LAST, settings, now=NOW, names=list(names), create_views=False, **context
    )
    return {r.check: r for r in results}


def test_catalog_names_are_unique_and_documented() -> None:
    names = [c.name for c in CATALOG]
    assert len(names) == len(set(names)) == 25
    assert all(c.summary and c.runbook for c in CATALOG)
    runbook = (PROJECT_ROOT / "docs" / "OPERATIONS.md").read_text().split("## Monitoring", 1)[1]
    assert [n for n in names if f"| `{n}` |" not in runbook] == []
    with pytest.raises(ValueError, match="nope"):
        by_name(["nope"])


@pytest.mark.emulator
def test_a_clean_replayed_date_passes_every_check_alike_on_both_backends(
    both_loaded: tuple[Warehouse, Warehouse], settings: Settings
) -> None:
    duck, bq = (_run(w, settings) for w in both_loaded)
    assert [r for r in duck.values() if r.status == "fail"] == []
    assert {n for n, r in duck.items() if r.status == "skipped"} == CLOUD_ONLY
    # alike on both backends, but for the cloud-only checks (each path says why it skips)
    assert {n: (r.status, r.value, r.detail) for n, r in duck.items() if n not in CLOUD_ONLY} == {
        n: (r.status, r.value, r.detail) for n, r in bq.items() if n not in CLOUD_ONLY
    }


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_system_removed_for_a_date_fails_coverage_and_silence(
    open_loaded: OpenLoaded, backend: str, settings: Settings
) -> None:
    warehouse = open_loaded(backend)
    warehouse.execute(
        "DELETE FROM pitcher_strikeout_predictions WHERE game_date = @d AND system_id = 'v1_6_rolling'",
        {"d": LAST},
    )
    results = _run(warehouse, settings)
    assert results["system_silent"].status == "fail"
    assert "v1_6_rolling" in results["system_silent"].detail
    assert results["coverage_complete"].status == "fail"
    assert {"coverage_complete", "system_silent"} <= set(failed_critical(list(results.values())))


ERROR_REASON = "ModelUnavailable: v1_6_rolling@champion not loadable: artifact is corrupt"


def _errors(warehouse: Warehouse, system: str, limit_sql: str = "") -> None:
    """Turn ``system``'s rows on LAST into error rows (what a broken model writes)."""
    warehouse.execute(
        "UPDATE pitcher_strikeout_predictions SET status = 'error', predicted_strikeouts = NULL, "
        "p_over = NULL, confidence = NULL, recommendation = NULL, status_reason = @reason "
        f"WHERE game_date = @d AND system_id = @s {limit_sql}",
        {"d": LAST, "s": system, "reason": ERROR_REASON},
    )


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_system_writing_only_errors_fails_coverage_silence_and_error_share(
    open_loaded: OpenLoaded, backend: str, settings: Settings
) -> None:
    """Error rows are rows, not answers: a broken model is as absent as a missing one."""
    warehouse = open_loaded(backend)
    _errors(warehouse, "v1_6_rolling")
    results = _run(warehouse, settings)
    assert {"coverage_complete", "system_silent", "error_share"} <= set(
        failed_critical(list(results.values()))
    )
    assert "silent: v1_6_rolling" in results["system_silent"].detail
    share = results["error_share"]
    assert share.value == 1.0 and share.threshold == settings.monitor.error_share_max
    assert share.detail.startswith("100.0% v1_6_rolling: ")
    assert ERROR_REASON[:60] in share.detail
    assert "v1_baseline" not in share.detail  # the healthy system is not named


def test_one_error_row_fails_coverage_but_not_the_error_share(
    open_loaded: OpenLoaded, settings: Settings
) -> None:
    warehouse = open_loaded("duckdb")
    _errors(
        warehouse,
        "v1_baseline",
        "AND pitcher_id = (SELECT MIN(pitcher_id) FROM pitcher_strikeout_predictions "
        "WHERE game_date = @d)",
    )
    results = _run(warehouse, settings, "coverage_complete", "system_silent", "error_share")
    assert results["coverage_complete"].status == "fail"
    assert "v1_baseline: 1 of" in results["coverage_complete"].detail
    assert results["system_silent"].status == "pass"
    share = results["error_share"]
    assert share.status == "pass" and 0 < (share.value or 0) <= settings.monitor.error_share_max


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_duplicate_key_fails_the_duplicate_check(
    open_loaded: OpenLoaded, backend: str, settings: Settings
) -> None:
    warehouse = open_loaded(backend)
    assert _run(warehouse, settings, "duplicate_keys")["duplicate_keys"].status == "pass"
    warehouse.execute(
        "INSERT INTO pitcher_strikeout_predictions SELECT * FROM pitcher_strikeout_predictions "
        "WHERE game_date = @d AND system_id = 'v1_baseline' AND pitcher_id = ("
        "SELECT MIN(pitcher_id) FROM pitcher_strikeout_predictions WHERE game_date = @d)",
        {"d": LAST},
    )
    result = _run(warehouse, settings, "duplicate_keys")["duplicate_keys"]
    assert (result.status, result.value) == ("fail", 1.0)


def test_an_ensemble_off_its_components_fails(open_loaded: OpenLoaded, settings: Settings) -> None:
    warehouse = open_loaded("duckdb")
    warehouse.execute(
        "UPDATE pitcher_strikeout_predictions SET predicted_strikeouts = predicted_strikeouts + 0.5 "
        "WHERE game_date = @d AND system_id = 'ensemble_v1' AND pitcher_id = ("
        "SELECT MIN(pitcher_id) FROM pitcher_strikeout_predictions WHERE game_date = @d "
        "AND system_id = 'ensemble_v1' AND predicted_strikeouts IS NOT NULL)",
        {"d": LAST},
    )
    result = _run(warehouse, settings, "ensemble_weighted_average")["ensemble_weighted_average"]
    assert result.status == "fail" and result.value == pytest.approx(0.5)


def test_a_recent_dead_letter_fails_an_old_one_does_not(
    open_loaded: OpenLoaded, settings: Settings
) -> None:
    warehouse = open_loaded("duckdb")
    letter = {"subscription_name": "pitcher-games--predict_v1_baseline", "data": "{}"}
    old = {**letter, "message_id": "1", "publish_time": NOW - dt.timedelta(days=2)}
    warehouse.merge("dead_letters", pd.DataFrame([old]))
    assert _run(warehouse, settings, "dead_letters_24h")["dead_letters_24h"].status == "pass"
    new = {**letter, "message_id": "2", "publish_time": NOW - dt.timedelta(hours=1)}
    warehouse.merge("dead_letters", pd.DataFrame([new]))
    result = _run(warehouse, settings, "dead_letters_24h")["dead_letters_24h"]
    assert result.status == "fail" and "predict_v1_baseline" in result.detail
    day = warehouse.query(
        "SELECT dead_letters FROM daily_coverage WHERE game_date = @d", {"d": NOW.date()}
    )
    assert day["dead_letters"].tolist() == [1]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_stalled_tick_and_an_unmerged_staged_row_fail(
    open_loaded: OpenLoaded, backend: str, settings: Settings
) -> None:
    warehouse = open_loaded(backend)

    def run(name: str) -> CheckResult:
        return _run(warehouse, settings, name, embedded=False)[name]  # judged as the cloud's

    # the tick writes no heartbeat (a billed DML a minute): the check says where to look
    tick = run("tick_recent")
    assert tick.status == "skipped" and "strikeouts/tick_runs" in tick.detail

    warehouse.execute(
        "CREATE TABLE pitcher_strikeout_predictions_staging AS SELECT *, @at AS staged_at, "
        "'b1' AS batch_id FROM pitcher_strikeout_predictions WHERE game_date = @d",
        {"at": NOW - dt.timedelta(minutes=10), "d": LAST},
    )
    staged = run("staged_rows_unmerged")
    assert staged.status == "pass"  # every staged key is already in the final table
    warehouse.execute(
        "UPDATE pitcher_strikeout_predictions_staging SET run_id = 'never-merged' "
        "WHERE system_id = 'v1_baseline'"
    )
    staged = run("staged_rows_unmerged")
    assert staged.status == "fail" and staged.value and staged.value > 0


def test_cloud_only_checks_are_skipped_on_the_embedded_path_whatever_tables_exist(
    open_loaded: OpenLoaded, settings: Settings
) -> None:
    """After ``results`` or ``daily`` an empty heartbeat table exists: still no tick to judge."""
    warehouse = open_loaded("duckdb")
    warehouse.ensure_tables(["pipeline_heartbeats"])
    results = _run(warehouse, settings, *sorted(CLOUD_ONLY))
    assert {r.status for r in results.values()} == {"skipped"}
    assert results["tick_recent"].detail.startswith("cloud only: the embedded runner ticks")


def test_orphans_fail_without_their_ensemble_row_and_are_skipped_without_an_ensemble(
    open_loaded: OpenLoaded, settings: Settings
) -> None:
    warehouse = open_loaded("duckdb")
    assert _run(warehouse, settings, "orphan_pitcher_games")["orphan_pitcher_games"].status == (
        "pass"
    )
    warehouse.execute(
        "DELETE FROM pitcher_strikeout_predictions WHERE game_date = @d "
        "AND system_id = 'ensemble_v1' AND pitcher_id = (SELECT MIN(pitcher_id) "
        "FROM pitcher_strikeout_predictions WHERE game_date = @d)",
        {"d": LAST},
    )
    result = _run(warehouse, settings, "orphan_pitcher_games")["orphan_pitcher_games"]
    assert (result.status, result.value) == ("fail", 1.0)
    phase_2 = PipelineConfig(write_ensemble=False)
    result = _run(warehouse, settings, "orphan_pitcher_games", config=phase_2)
    assert result["orphan_pitcher_games"].status == "skipped"
    assert "rollout phase" in result["orphan_pitcher_games"].detail


def test_one_system_far_from_the_others_fails_agreement_and_its_collapse(
    open_loaded: OpenLoaded, settings: Settings
) -> None:
    warehouse = open_loaded("duckdb")
    names = ("agreement_rate", "agreement_collapse")
    assert {r.status for r in _run(warehouse, settings, *names).values()} == {"pass"}
    warehouse.execute(
        "UPDATE pitcher_strikeout_predictions SET predicted_strikeouts = predicted_strikeouts + 3 "
        "WHERE game_date = @d AND system_id = 'v1_6_rolling'",
        {"d": LAST},
    )
    results = _run(warehouse, settings, *names)
    assert {r.status for r in results.values()} == {"fail"}
    assert results["agreement_rate"].threshold == settings.monitor.agreement_min
    assert results["agreement_collapse"].threshold == settings.monitor.agreement_critical
    assert results["agreement_collapse"].value == 0.0
    assert "agree within 2 K (strong + moderate)" in results["agreement_rate"].detail


def test_the_ensemble_is_expected_only_in_phases_that_write_it(settings: Settings) -> None:
    """Rollout phases 1 and 2 write no ensemble row, so coverage must not wait for one."""

    def expected(config: PipelineConfig) -> tuple[str, ...]:
        context = CheckContext(None, LAST, settings, NOW, config)  # type: ignore[arg-type]
        return context.expected_systems

    assert expected(PipelineConfig()) == (*system_ids(), "ensemble_v1")
    phase_1 = PipelineConfig(expected_systems=["v1_baseline"], write_ensemble=False)
    assert expected(phase_1) == ("v1_baseline",)
