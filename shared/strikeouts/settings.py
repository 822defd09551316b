"""The one settings object: every option falls back to a ``STRIKEOUTS_*`` environment variable."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# A function deployment vendors the package with its schemas inside it (see
# `strikeouts package-functions`); a source checkout reads them from the repository root.
_PACKAGED_SCHEMAS = Path(__file__).resolve().parent / "_schemas"
SCHEMAS_DIR = _PACKAGED_SCHEMAS if _PACKAGED_SCHEMAS.is_dir() else PROJECT_ROOT / "schemas"


class Settings(BaseSettings):
    """Configuration for the CLI, the functions and the tests."""

    model_config = SettingsConfigDict(env_prefix="STRIKEOUTS_", extra="ignore")

    data_dir: Path = Field(default=Path("data"))
    """Folder holding the raw public data (retrosheet/, statcast/, lines/, register/ ...)."""

    warehouse: str = Field(default=".strikeouts/warehouse.duckdb")
    """DuckDB file path (embedded default) or ``bigquery://PROJECT/DATASET``."""

    bigquery_endpoint: str | None = None
    """API endpoint for BigQuery (an emulator such as ``http://127.0.0.1:9050``); None = Google."""

    bigquery_manage_schema: bool = True
    """Create the BigQuery dataset, tables and views a process uses. False for the deployed
    functions: Terraform owns them, and the functions' accounts may only write rows."""

    bigquery_scratch_dataset: str | None = None
    """Dataset (same project) of the short-lived tables a MERGE loads its rows into; None = the
    warehouse's own. The deployed functions write there, never creating tables in the warehouse."""

    model_store: str = Field(default=".strikeouts/models")
    """Local directory or ``gs://BUCKET/PREFIX`` for model artifacts and aliases."""

    alias_ttl_seconds: float = Field(default=30.0, ge=0.0)
    """How long a serving instance trusts its cached alias resolutions (``champion``,
    ``challenger``): a promotion reaches running functions within this plus one message."""

    state_dir: Path = Field(default=Path(".strikeouts"))
    """Where local runtime state (aggregation state, stack endpoints) lives."""

    log_format: Literal["json", "console"] = "console"
    """``json`` emits one Cloud-Logging-compatible object per line."""

    # --- cloud path (functions, Pub/Sub, GCS); see strikeouts.cloud ----------------------
    gcp_project: str = "strikeouts-local"
    """Google Cloud project of the topics, buckets and traces (the emulators accept any)."""

    gcp_region: str = "us-central1"
    """Region of the deployed functions (`deploy validate --backend cloud` lists them there)."""

    feature_warehouse: str | None = None
    """Warehouse fanout reads history and schedules from (DuckDB file or bigquery://); None = ``warehouse``."""

    system_id: str | None = None
    """The registered system a ``predict_system`` function instance serves (set per function)."""

    aggregation_state: str | None = None
    """``gs://BUCKET/PREFIX`` for the ensemble's per-pitcher-game state; None = DuckDB in ``state_dir``."""

    topic_game_schedule: str = "game-schedule"
    """Pub/Sub topic of game-schedule events (fanout's trigger)."""

    topic_pitcher_games: str = "pitcher-games"
    """Pub/Sub topic of pitcher-game messages (the systems' and the ensemble's trigger)."""

    topic_system_predictions: str = "system-predictions"
    """Pub/Sub topic of system results (the ensemble's trigger)."""

    topic_ensemble_ticks: str = "ensemble-ticks"
    """Pub/Sub topic of the scheduled ticks that finalize overdue pitcher-games."""

    topic_dead_letter: str = "dead-letter"
    """Pub/Sub topic receiving messages that failed ``max_delivery_attempts`` times."""

    topic_predictions_complete: str = "predictions-complete"
    """Pub/Sub topic of the predictions-complete messages the ensemble tick publishes, one
    per run and game date (key ``completion_id``)."""

    completion_subscription: str = "predictions-complete-inspect"
    """Pull subscription on ``topic_predictions_complete`` kept for operators (created by
    ``stack up`` and by Terraform); consumers create their own."""

    dead_letter_subscription: str = "dead-letter-inspect"
    """Pull subscription on ``topic_dead_letter`` that ``strikeouts dead-letters`` reads
    (created by ``stack up`` and by Terraform)."""

    pubsub_emulator_host: str | None = None
    """``HOST:PORT`` of a Pub/Sub emulator; None = Google (or ``PUBSUB_EMULATOR_HOST``)."""

    storage_emulator_host: str | None = None
    """``http://HOST:PORT`` of a Cloud Storage emulator; None = Google (or ``STORAGE_EMULATOR_HOST``)."""

    publish_timeout_seconds: float = Field(default=30.0, gt=0)
    """How long a function waits for its published messages before failing (transient)."""

    publish_max_latency_seconds: float = Field(default=0.002, gt=0, le=1.0)
    """How long the Pub/Sub client's own batcher holds a batch open for more messages.

    The functions' publisher does not use it: it sends what a delivery published when the
    delivery flushes, one request per topic (``cloud.pubsub``); only direct
    ``client.publish`` calls are batched with this wait."""

    staging_flush_interval_seconds: float = Field(default=1.0, gt=0, le=60.0)
    """How long the ensemble function gathers finalized rows before one staging insert.

    Rows reach the final table only with the tick's MERGE (every minute), so a longer wait
    here delays nothing a reader sees, while each insert costs about the same for 3 rows as
    for 300: a shorter wait only makes more of them.

    A delivery is acknowledged once its outcome is in the aggregation state; its rows reach
    the staging table about this long later, in one insert with everything else finalized
    meanwhile (see ``strikeouts.cloud.deferred``). Rows of an instance that dies first are
    rewritten by the tick."""

    staging_flush_max_rows: int = Field(default=500, ge=1, le=10_000)
    """Rows per staging insert: a full batch goes at once, without waiting for the interval
    (BigQuery advises at most 500 rows per streaming insert)."""

    staging_max_pending_rows: int = Field(default=10_000, ge=1)
    """Rows an ensemble instance holds unstaged before it refuses finalizing deliveries with
    a transient error (Pub/Sub redelivers them later) instead of queueing without bound."""

    # --- monitoring (strikeouts.monitoring: `strikeouts monitor`, the monitor function) --------
    monitor_window_days: int = Field(default=30, ge=1, le=366)
    """Days (ending on the checked date) the window checks and the performance view cover."""

    monitor_agreement_min: float = Field(default=0.90, ge=0.0, le=1.0)
    """Share of pitcher-games whose systems agree strongly or moderately (spread < 2 K) below
    which the ``agreement_rate`` warning fails: 90%, above the critical level so that it warns
    first (the seed's 70% sat below its own 80% alert; no healthy walk-forward day with the
    three systems came below 96.2%: docs/MODELING.md)."""

    monitor_agreement_critical: float = Field(default=0.80, ge=0.0, le=1.0)
    """The same share below which ``agreement_collapse`` (critical) fails: see docs/MODELING.md,
    "Red-flag thresholds and the agreement boundary" (the seed's alert level; no healthy day of
    a walk-forward year with the three systems came below 96.2%)."""

    monitor_fallback_rate_max: float = Field(default=0.05, ge=0.0, le=1.0)
    """Share of the date's ensemble rows that fell back above which a check fails."""

    monitor_error_share_max: float = Field(default=0.10, ge=0.0, le=1.0)
    """Share of one system's rows on a date that did not answer (``error``, or an ensemble
    fallback without a prediction) above which the critical ``error_share`` check fails: one
    pitcher-game of a full slate (~1/30) errs without failing it, a broken model does not."""

    monitor_ensemble_tolerance: float = Field(default=0.01, gt=0.0)
    """Largest |ensemble − renormalized weighted average of its components| (K) accepted."""

    monitor_slo_seconds: float = Field(default=660.0, gt=0.0)
    """Game-schedule event (run creation) to the run's last row: the ensemble deadline + 1 min."""

    monitor_tick_max_age_seconds: float = Field(default=180.0, gt=0.0)
    """Oldest acceptable last tick heartbeat (the tick runs every minute)."""

    monitor_staged_max_age_seconds: float = Field(default=300.0, gt=0.0)
    """Age past which a staged row not yet in the final table means merging has stopped."""

    monitor_calibration_drift_max: float = Field(default=0.05, gt=0.0, le=1.0)
    """Largest |mean p_over − observed over rate| of a system over the window."""

    monitor_min_sample: int = Field(default=100, ge=1)
    """Graded rows a window check needs before it judges (fewer: the check is skipped)."""

    monitor_feature_coverage_drop_max: float = Field(default=0.05, gt=0.0, le=1.0)
    """Largest drop of a system's mean feature coverage on the date vs the window before it."""

    monitor_freshness_max_days: int = Field(default=2, ge=0)
    """Days the newest ingested start may lag the checked date (off days and the break need 2)."""

    monitor_hit_rate_min: float = Field(default=0.45, ge=0.0, le=1.0)
    """Hit rate (pushes and voids excluded) of a system's calls over the window below which a
    check warns."""

    monitor_win_rate_gap_max: float = Field(default=0.02, ge=0.0, le=1.0)
    """How far the ensemble's hit rate over the window may fall below its best component's
    beyond sampling noise (95%) before ``ensemble_win_rate_vs_best`` warns."""

    monitor_flag_share_max: float = Field(default=0.5, gt=0.0, le=1.0)
    """Share of the window's predictions carrying one red flag above which a check warns."""

    monitor_trend_mae_rise_max: float = Field(default=0.3, gt=0.0)
    """Rise of the ensemble's MAE in the last 7 days over the whole window that warns (K)."""

    report_bucket: str | None = None
    """Bucket the scheduled monitoring job writes the nightly HTML report into; None = no report."""

    fault_fail_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    """Injected transient failures per delivery, before the handler runs (benchmarks only)."""

    fault_duplicate_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    """Injected lost acknowledgements per delivery, after the handler ran (a redelivery follows)."""

    # --- game day: live sources (see strikeouts.sources) --------------------------------
    statsapi_url: str = "https://statsapi.mlb.com"
    """Base URL of the MLB Stats API (public, no key); tests point it at a local server."""

    odds_api_url: str = "https://api.the-odds-api.com"
    """Base URL of The Odds API v4 (a paid service with a request quota)."""

    odds_api_key: SecretStr | None = None
    """The Odds API key (cloud: from Secret Manager); never logged, redacted from URLs."""

    source_timeout_seconds: float = Field(default=10.0, gt=0, le=120.0)
    """Timeout of each HTTP call to a live source (connect, read, write, pool)."""

    source_attempts: int = Field(default=5, ge=1, le=20)
    """Attempts per live-source call on 429, 5xx and timeouts before the source is down."""

    source_total_seconds: float = Field(default=60.0, gt=0, le=900.0)
    """Total time one live-source call may take, retries and waits included."""

    source_backoff_max_seconds: float = Field(default=8.0, gt=0, le=300.0)
    """Longest backoff between two attempts (a longer Retry-After is still honoured)."""

    topic_gameday_schedule: str = "gameday-schedule"
    """Pub/Sub topic of the scheduler's triggers of the ``schedule`` function (slates)."""

    topic_gameday_results: str = "gameday-results"
    """Pub/Sub topic of the scheduler's triggers of the ``results`` function (night)."""

    league_time_zone: str = "America/New_York"
    """Time zone in which a trigger's time becomes the game date (MLB's official dates)."""

    injured_list_ttl_hours: float = Field(default=6.0, ge=0.0, le=72.0)
    """How long a team's injured list (its 40-man roster statuses) is reused from the cache
    before the Stats API is asked again; a stale copy is still used when the source fails."""

    injured_list_cache: str | None = None
    """Directory or ``gs://BUCKET/PREFIX`` of the injured-list cache; None = ``injured-list``
    beside the aggregation state: its bucket when that is ``gs://``, else ``state_dir``."""

    odds_window_hours: float = Field(default=6.0, gt=0, le=12.0)
    """How far an odds event's commence time may be from its game's time to match it (the
    nearest game of the same two teams wins; feeds slip by hours, e.g. 2025-07-04 ATH-SF)."""


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings read once from the environment (tests call ``get_settings.cache_clear()``)."""
    return Settings()
