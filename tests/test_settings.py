"""The settings groups keep every environment variable the flat settings object had."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings

from strikeouts.pipeline.config import PipelineConfig
from strikeouts.settings import GROUPS, Settings

# Every field of the flat Settings before it was split by concern; each is still set by
# STRIKEOUTS_<NAME> (the pipeline's STRIKEOUTS_PIPELINE_* were a class of their own already).
FLAT_FIELDS = [
    "data_dir",
    "warehouse",
    "bigquery_endpoint",
    "bigquery_manage_schema",
    "bigquery_scratch_dataset",
    "model_store",
    "alias_ttl_seconds",
    "state_dir",
    "log_format",
    "gcp_project",
    "gcp_region",
    "feature_warehouse",
    "system_id",
    "aggregation_state",
    "topic_game_schedule",
    "topic_pitcher_games",
    "topic_system_predictions",
    "topic_ensemble_ticks",
    "topic_dead_letter",
    "topic_predictions_complete",
    "dead_letter_subscription",
    "completion_subscription",
    "pubsub_emulator_host",
    "storage_emulator_host",
    "publish_timeout_seconds",
    "publish_max_latency_seconds",
    "staging_flush_interval_seconds",
    "staging_flush_max_rows",
    "staging_max_pending_rows",
    "monitor_window_days",
    "monitor_agreement_min",
    "monitor_agreement_critical",
    "monitor_fallback_rate_max",
    "monitor_error_share_max",
    "monitor_ensemble_tolerance",
    "monitor_slo_seconds",
    "monitor_tick_max_age_seconds",
    "monitor_staged_max_age_seconds",
    "monitor_calibration_drift_max",
    "monitor_min_sample",
    "monitor_feature_coverage_drop_max",
    "monitor_freshness_max_days",
    "monitor_hit_rate_min",
    "monitor_win_rate_gap_max",
    "monitor_flag_share_max",
    "monitor_trend_mae_rise_max",
    "report_bucket",
    "fault_fail_rate",
    "fault_duplicate_rate",
    "statsapi_url",
    "odds_api_url",
    "odds_api_key",
    "source_timeout_seconds",
    "source_attempts",
    "source_total_seconds",
    "source_backoff_max_seconds",
    "topic_gameday_schedule",
    "topic_gameday_results",
    "league_time_zone",
    "injured_list_ttl_hours",
    "injured_list_cache",
    "odds_window_hours",
]


def _env_name(model: type[BaseSettings], name: str, field: FieldInfo) -> str:
    if isinstance(field.validation_alias, str):
        return field.validation_alias
    return f"{model.model_config.get('env_prefix', '')}{name}".upper()


def _fields() -> list[tuple[str, tuple[str, ...]]]:
    """(environment variable, path of the field it sets) of every field, pipeline aside."""
    found: list[tuple[str, tuple[str, ...]]] = []
    for name, field in Settings.model_fields.items():
        if name in GROUPS:
            group = field.annotation
            assert isinstance(group, type) and issubclass(group, BaseSettings)
            if group is PipelineConfig:
                continue
            for inner, inner_field in group.model_fields.items():
                found.append((_env_name(group, inner, inner_field), (name, inner)))
        else:
            found.append((_env_name(Settings, name, field), (name,)))
    return found


def _walk() -> dict[str, tuple[str, ...]]:
    """Environment variable → the path of the field it sets."""
    return dict(_fields())


def _other_value(field: FieldInfo) -> tuple[str, Any]:
    """A valid value different from ``field``'s default: as an env string and as parsed."""
    default = field.default
    text = str(field.annotation)
    if "Literal" in text:
        return "json", "json"  # the one Literal (log_format) defaults to console
    if isinstance(default, bool):
        return str(not default).lower(), not default
    if isinstance(default, int):
        return str(default + 1), default + 1
    if isinstance(default, float):
        return str(default + 0.001), default + 0.001
    if isinstance(default, Path) or "Path" in text:
        return "/tmp/elsewhere", Path("/tmp/elsewhere")
    if "SecretStr" in text:
        return "secret-from-env", "secret-from-env"
    return "set-from-env", "set-from-env"


def _get(settings: Settings, path: tuple[str, ...]) -> Any:
    value: Any = settings
    for part in path:
        value = getattr(value, part)
    return value.get_secret_value() if isinstance(value, SecretStr) else value


def test_every_old_variable_still_names_a_field_and_no_variable_names_two() -> None:
    variables = [variable for variable, _ in _fields()]
    assert len(variables) == len(set(variables)), "two fields read one variable"
    missing = {f"STRIKEOUTS_{name.upper()}" for name in FLAT_FIELDS} - set(variables)
    assert not missing, f"variables that no longer set anything: {sorted(missing)}"


@pytest.mark.parametrize("variable", sorted(_walk()))
def test_the_old_variable_still_sets_its_field(
    variable: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _walk()[variable]
    owner = Settings if len(path) == 1 else Settings.model_fields[path[0]].annotation
    assert isinstance(owner, type) and issubclass(owner, BaseSettings)
    text, expected = _other_value(owner.model_fields[path[-1]])
    assert _get(Settings(), path) != expected
    monkeypatch.setenv(variable, text)
    assert _get(Settings(), path) == expected


def test_every_field_says_what_it_is() -> None:
    for name, field in Settings.model_fields.items():
        assert field.description, f"settings.{name} has no description"
        group = field.annotation
        if name in GROUPS and group is not PipelineConfig:
            assert isinstance(group, type) and issubclass(group, BaseSettings)
            for inner, inner_field in group.model_fields.items():
                assert inner_field.description, f"settings.{name}.{inner} has no description"


def test_a_group_given_in_part_takes_the_rest_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("STRIKEOUTS_MONITOR_MIN_SAMPLE", "41")
    monkeypatch.setenv("STRIKEOUTS_REPORT_BUCKET", "reports")
    settings = Settings(monitor={"window_days": 9})
    assert (settings.monitor.window_days, settings.monitor.min_sample) == (9, 41)
    assert settings.monitor.report_bucket == "reports"
    assert Settings(**settings.model_dump()) == settings


def test_a_field_of_another_prefix_reads_no_unprefixed_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``sources.statsapi_url`` reads STRIKEOUTS_STATSAPI_URL, never a bare STATSAPI_URL."""
    monkeypatch.setenv("STATSAPI_URL", "http://wrong")
    assert Settings().sources.statsapi_url == "https://statsapi.mlb.com"
