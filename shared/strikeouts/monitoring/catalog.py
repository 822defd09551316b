"""The catalog: every named check with its severity, what passing means and what to do.

Invariant: the order here is the order of ``monitor``'s output and of the README's runbook; a
name is unique and stable (log-based metrics and alert policies filter on it).
"""

from __future__ import annotations

from strikeouts.monitoring import catalog_pipeline as pipe
from strikeouts.monitoring import catalog_rows as rows
from strikeouts.monitoring import catalog_window as window
from strikeouts.monitoring.checks import Check

CATALOG: tuple[Check, ...] = (
    Check(
        "coverage_complete",
        "critical",
        "every pitcher-game of the date has an answer (ok, skip, or a fallback with a "
        "prediction; an error row is no answer) from every expected system and the ensemble",
        "find the missing system in system_comparison (state 'missing'); check its function's "
        "errors and dead letters; republish the date's game-schedule event with a new run id",
        rows.coverage_complete,
    ),
    Check(
        "system_silent",
        "critical",
        "every expected system answered at least one pitcher-game on the date (a system "
        "writing only errors is silent)",
        "the system is down or not subscribed: check its function, model alias and breaker; "
        "redeploy or roll back its model alias, then rerun the date",
        rows.system_silent,
    ),
    Check(
        "error_share",
        "critical",
        "no system left more than monitor.error_share_max of its rows on the date unanswered "
        "(error rows; ensemble fallbacks without a prediction)",
        "the detail names the system and its first error: a model that cannot load (a corrupt "
        "or missing artifact: roll its champion alias back), a feature mismatch (retrain or "
        "redeploy), an open breaker (its function's logs); then rerun the date",
        rows.error_share,
    ),
    Check(
        "ensemble_weighted_average",
        "critical",
        "each ensemble prediction equals the renormalized weighted average of its components",
        "a combine defect or components rewritten after the ensemble: compare weights_json with "
        "the component rows; stop publishing picks until fixed",
        rows.ensemble_weighted_average,
    ),
    Check(
        "duplicate_keys",
        "critical",
        "no (run, game, pitcher, system) key is stored twice in the window",
        "a write bypassed the keyed MERGE: delete the extra rows keeping one per key, and find "
        "the writer (staging merge, manual load)",
        rows.duplicate_keys,
    ),
    Check(
        "null_system_ids",
        "critical",
        "no row lacks a system id",
        "a writer bypassed schema conformance: delete the rows and fix the writer",
        rows.null_system_ids,
    ),
    Check(
        "orphan_pitcher_games",
        "warning",
        "every pitcher-game with a system row has an ensemble row",
        "the ensemble never finalized them: check the tick (tick_recent) and the ensemble's "
        "dead letters; the tick finalizes overdue pitcher-games",
        rows.orphan_pitcher_games,
    ),
    Check(
        "agreement_rate",
        "warning",
        "at least monitor.agreement_min (90%) of the date's pitcher-games have component "
        "systems agreeing within 2 K (strong + moderate; warns before agreement_collapse)",
        "read system_comparison for the date: one system drifting (a feature broken, a model "
        "swapped) shows as the same system far from the others",
        rows.agreement_rate,
    ),
    Check(
        "agreement_collapse",
        "critical",
        "at least monitor.agreement_critical (80%) of the date's pitcher-games have component "
        "systems agreeing within 2 K",
        "one system has come apart from the others: find it in system_comparison (the same "
        "system far from the rest on most rows), roll its champion alias back, rerun the date",
        rows.agreement_collapse,
    ),
    Check(
        "dead_letters_24h",
        "critical",
        "no message was dead-lettered in the last 24 hours",
        "read dead_letters (attributes hold the reason), fix the cause, republish the payloads",
        pipe.dead_letters_24h,
    ),
    Check(
        "rejected_messages_24h",
        "warning",
        "no message was rejected as malformed in the last 24 hours",
        "read rejected_messages (raw payload and reason): fix the publisher or the schema",
        pipe.rejected_messages_24h,
    ),
    Check(
        "tick_recent",
        "critical",
        "the ensemble tick runs (counted from its logs in the cloud, so skipped here)",
        "alert 'ensemble tick backlog' or a failing staged_rows_unmerged: check the Cloud "
        "Scheduler job and the ensemble_tick function's errors; overdue pitcher-games wait",
        pipe.tick_recent,
        cloud_only="the embedded runner ticks synchronously at the end of each run",
    ),
    Check(
        "staged_rows_unmerged",
        "critical",
        "no row staged more than 5 minutes ago is missing from the final table (cloud)",
        "the tick's MERGE is failing or a lease is stuck: run `strikeouts stack merge` (or the "
        "tick by hand) and read its error",
        pipe.staged_rows_unmerged,
        cloud_only="the embedded path writes the final table directly (no staging)",
    ),
    Check(
        "fallback_rate",
        "warning",
        "few pitcher-games fell back to a partial ensemble",
        "daily_coverage and the ensemble rows' fallback_reason name the late or failing system",
        pipe.fallback_rate,
    ),
    Check(
        "schedule_to_last_row",
        "warning",
        "every run wrote its last row within the SLO of its game-schedule event",
        "a slow system or a stalled tick: compare created_at per system for the run",
        pipe.schedule_to_last_row,
    ),
    Check(
        "data_freshness",
        "critical",
        "the newest ingested start is at most 2 days before the date",
        "the results intake did not run: run it (or `strikeouts ingest`) before predicting",
        pipe.data_freshness,
    ),
    Check(
        "feature_coverage_drop",
        "warning",
        "each system's share of real inputs on the date is close to the window's",
        "an input source stopped (lines, umpires, pitch counts): find the NaN features of the "
        "date's pitcher-game messages",
        window.feature_coverage_drop,
    ),
    Check(
        "in_sample_rows",
        "info",
        "no row of the window was predicted by a model fitted on starts of its date or later "
        "(in-sample rows are left out of the accuracy, calibration and ROI checks unless "
        "--include-in-sample)",
        "the detail names each system's in-sample rows and its train_end: a champion trained "
        "after the dates checked (a replay or backfill with today's models); judge accuracy "
        "on dates from its train_end on, or replay with champions trained before the dates",
        window.in_sample,
    ),
    Check(
        "p_over_calibration_drift",
        "warning",
        "each system's mean p_over over the window is within 0.05 of the observed over rate "
        "beyond sampling noise",
        "recalibrate (retrain) the system; until then read its p_over with caution",
        window.p_over_calibration_drift,
    ),
    Check(
        "win_rate_per_system",
        "warning",
        "each system's calls over the window hit at least 45% (pushes and voids excluded)",
        "read system_performance and the report's edge buckets; consider raising the edge "
        "threshold or pausing the system's picks",
        window.win_rate_per_system,
    ),
    Check(
        "ensemble_vs_best",
        "warning",
        "the ensemble's MAE over the window is within 0.05 K of its best component",
        "weights no longer suit the systems: review base weights or enable adaptive weights",
        window.ensemble_vs_best,
    ),
    Check(
        "ensemble_win_rate_vs_best",
        "warning",
        "the ensemble's hit rate over the window is not below its best component's by more than "
        "monitor.win_rate_gap_max (2 points) beyond sampling noise",
        "the ensemble's calls lose to a single system's: review base weights and the edge "
        "threshold; read system_performance's hit rate per system for the window",
        window.ensemble_win_rate_vs_best,
    ),
    Check(
        "weekly_trend",
        "warning",
        "the ensemble's MAE over the last 7 days has not risen sharply over the window's",
        "look for a model or feature change that week (model_version, feature_set_version)",
        window.weekly_trend,
    ),
    Check(
        "recommendation_mix",
        "warning",
        "no system calls one side (OVER or UNDER) on more than 85% of its calls",
        "a one-sided mix usually means a broken line or a biased model: check bias in "
        "system_performance and the lines of the window",
        window.recommendation_mix,
    ),
    Check(
        "top_red_flags",
        "info",
        "no red flag is raised on more than half of the predictions",
        "a flag on most rows means its input is broken (NaN or a unit change): check the feature",
        window.top_red_flags,
    ),
)


def by_name(names: list[str] | None = None) -> tuple[Check, ...]:
    """The checks named (catalog order), every check when ``names`` is empty; unknown raises."""
    if not names:
        return CATALOG
    known = {c.name for c in CATALOG}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(f"unknown check(s) {unknown}; known: {sorted(known)}")
    return tuple(c for c in CATALOG if c.name in names)
