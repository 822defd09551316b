"""Checks of the event pipeline: dead letters, rejections, the tick, staging, fallbacks, latency.

Invariant: "recent" is measured from the context's ``now`` (the wall clock in production);
a check whose source does not exist on this warehouse (the staging table exists in the cloud
only) is skipped with the reason, never passed.
"""

from __future__ import annotations

import datetime as dt

from strikeouts.monitoring.checks import CheckContext, Finding, at_most, scalar, skipped
from strikeouts.names import DEAD_LETTERS, PREDICTIONS_STAGING, REJECTED_MESSAGES

DAY = dt.timedelta(hours=24)


def _last_day(context: CheckContext, table: str, stamp: str, source: str, what: str) -> Finding:
    """Pass when ``table`` has no row stamped in the last 24 h; the detail names the sources."""
    frame = context.query(
        f"SELECT COUNT(*) AS n, STRING_AGG(DISTINCT {source}, ', ') AS sources "
        f"FROM {table} WHERE {stamp} > @since",
        since=context.now - DAY,
    )
    n = scalar(frame, "n") or 0
    sources = f" from {frame['sources'].iloc[0]}" if n else ""
    return at_most(n, 0, f"{n:.0f} {what} in 24 h{sources}")


def dead_letters_24h(context: CheckContext) -> Finding:
    """No message was dead-lettered in the last 24 hours."""
    return _last_day(context, DEAD_LETTERS, "publish_time", "subscription_name", "dead letters")


def rejected_messages_24h(context: CheckContext) -> Finding:
    """No message was rejected as malformed in the last 24 hours."""
    return _last_day(context, REJECTED_MESSAGES, "received_at", "handler", "rejected")


def tick_recent(context: CheckContext) -> Finding:
    """Skipped, with where to look: the tick writes nothing to the warehouse when idle.

    A heartbeat row per tick was a billed DML job every minute (the bulk of an idle day's
    bill); the tick's runs are counted from its logs instead (the ``strikeouts/tick_runs`` log
    metric and its alerts, infra/monitoring.tf), and a tick that stops merging fails
    ``staged_rows_unmerged`` here.
    """
    return skipped(
        "the tick's runs are counted from its logs (log metric strikeouts/tick_runs, alert "
        "'ensemble tick backlog'); a stalled merge fails staged_rows_unmerged",
        context.settings.monitor.tick_max_age_seconds,
    )


def staged_rows_unmerged(context: CheckContext) -> Finding:
    """No staged row older than ``monitor.staged_max_age_seconds`` is missing from the table."""
    threshold = context.settings.monitor.staged_max_age_seconds
    frame = context.optional_query(
        f"SELECT COUNT(*) AS n, MIN(s.staged_at) AS oldest FROM {PREDICTIONS_STAGING} AS s "
        "WHERE s.staged_at < @cutoff AND NOT EXISTS (SELECT 1 FROM pitcher_strikeout_predictions "
        "AS t WHERE t.run_id = s.run_id AND t.game_id = s.game_id "
        "AND t.pitcher_id = s.pitcher_id AND t.system_id = s.system_id)",
        cutoff=context.now - dt.timedelta(seconds=threshold),
    )
    if frame is None:
        return skipped("no staging table: the embedded path writes the final table directly", 0)
    n = scalar(frame, "n") or 0
    return at_most(n, 0, f"{n:.0f} rows staged over {threshold:.0f} s ago and not merged")


def fallback_rate(context: CheckContext) -> Finding:
    """At most ``monitor.fallback_rate_max`` of the date's pitcher-games fell back."""
    day = context.query(
        "SELECT pitcher_games, fallbacks FROM daily_coverage WHERE game_date = @date"
    )
    threshold = context.settings.monitor.fallback_rate_max
    games = scalar(day, "pitcher_games") or 0
    if games == 0:
        return skipped(f"no pitcher-games on {context.date}", threshold)
    fallbacks = scalar(day, "fallbacks") or 0
    return at_most(
        fallbacks / games, threshold, f"{fallbacks:.0f} of {games:.0f} pitcher-games fell back"
    )


def schedule_to_last_row(context: CheckContext) -> Finding:
    """Every run of the date wrote its last row within the SLO of its game-schedule event."""
    frame = context.query(
        "SELECT run_id, TIMESTAMP_DIFF(MAX(created_at), MIN(run_created_at), SECOND) AS seconds "
        "FROM pitcher_strikeout_predictions_latest WHERE game_date = @date "
        "GROUP BY run_id ORDER BY seconds DESC"
    )
    threshold = context.settings.monitor.slo_seconds
    if frame.empty:
        return skipped(f"no run on {context.date}", threshold)
    worst = float(frame["seconds"].iloc[0])
    detail = f"slowest run {frame['run_id'].iloc[0]}: {worst:.0f} s from event to last row"
    return at_most(worst, threshold, detail)


def data_freshness(context: CheckContext) -> Finding:
    """The newest ingested start is at most ``monitor.freshness_max_days`` before the date."""
    frame = context.query("SELECT MAX(game_date) AS last FROM pitcher_starts")
    threshold = float(context.settings.monitor.freshness_max_days)
    if frame.empty or frame["last"].isna().iloc[0]:
        return Finding(False, None, threshold, "no start ingested at all")
    last = frame["last"].iloc[0]
    last_date = last.date() if hasattr(last, "date") else last
    lag = (context.date - last_date).days
    return at_most(
        lag, threshold, f"newest ingested start {last_date}: {lag} day(s) before the date"
    )
