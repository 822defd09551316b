"""Rows of ``pitcher_strikeout_predictions``: one per (run, game, pitcher, system), ensemble included.

Every row repeats the pitcher-game context and the line, so a row can be read alone; the
recommendation is always recomputed here from the row's own count, probability and line.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from strikeouts.pipeline.clock import from_iso
from strikeouts.pipeline.config import PipelineConfig
from strikeouts.pipeline.ensemble import EnsembleOutcome
from strikeouts.pipeline.payloads import PitcherGameHeader, SystemPredictionMessage
from strikeouts.pipeline.recommendation import recommend

Row = dict[str, Any]


def _context(header: PitcherGameHeader) -> Row:
    line: Mapping[str, Any] = header.get("line") or {}
    return {
        "run_id": header["run_id"],
        "game_id": header["game_id"],
        "pitcher_id": int(header["pitcher_id"]),
        "game_date": date.fromisoformat(header["game_date"]),
        "game_pk": header.get("game_pk"),
        "pitcher_name": header.get("pitcher_name"),
        "team": header["team"],
        "opponent": header["opponent"],
        "is_home": bool(header["is_home"]),
        "line": line.get("line"),
        "over_odds": line.get("over_odds"),
        "under_odds": line.get("under_odds"),
        "line_book": line.get("book"),
        "run_created_at": from_iso(header["run_created_at"]),
        "line_snapshot_at": _at(line.get("snapshot_at")),
        "minutes_before_game": _minutes_before(line.get("snapshot_at"), header.get("game_time")),
    }


def _at(value: str | None) -> datetime | None:
    return None if value is None else from_iso(value)


def _day(value: str | date | None) -> date | None:
    """A day given as ISO text (a message or kept state) or already a date."""
    return date.fromisoformat(value) if isinstance(value, str) else value


def _minutes_before(snapshot: str | None, game_time: str | None) -> float | None:
    """How long before first pitch the line was quoted, in minutes (None when unknown)."""
    if snapshot is None or game_time is None:
        return None
    return (from_iso(game_time) - from_iso(snapshot)).total_seconds() / 60.0


def line_of(header: PitcherGameHeader) -> float | None:
    """The line value of a pitcher-game header, or None."""
    line = header.get("line")
    return None if not line else float(line["line"])


def system_row(
    result: SystemPredictionMessage,
    config: PipelineConfig,
    created_at: datetime,
    *,
    late: bool,
    processed_at: datetime | None = None,
) -> Row:
    """The row of one system-prediction message (``processed_at``: when the ensemble built it)."""
    header = result["header"]
    status = result["status"]
    predicted = result.get("predicted_strikeouts")
    call = recommend(
        predicted,
        result.get("p_over"),
        line_of(header),
        config.edge_threshold,
        result.get("confidence"),
        config.min_confidence,
    )
    recommendation = call.recommendation
    if status == "skip" and recommendation in ("OVER", "UNDER"):
        recommendation = "PASS"
    if status == "error":
        recommendation = None
    return {
        **_context(header),
        "system_id": result["system_id"],
        "predicted_strikeouts": predicted,
        "predicted_median": result.get("predicted_median"),
        "p_over": result.get("p_over"),
        "edge": call.edge,
        "recommendation": recommendation,
        "confidence": result.get("confidence"),
        "red_flags": list(result.get("red_flags", [])),
        "status": status,
        "status_reason": result.get("reason"),
        "model_version": result.get("model_version"),
        "model_alias": result.get("model_alias"),
        "train_end": _day(result.get("train_end")),
        "feature_set": result.get("feature_set"),
        "feature_set_version": result.get("feature_set_version"),
        "feature_coverage": result.get("feature_coverage"),
        "contributing_systems": [],
        "missing_systems": [],
        "fallback_reason": None,
        "weights_json": None,
        "late": late,
        "created_at": created_at,
        "base_confidence": result.get("base_confidence"),
        "confidence_multiplier": result.get("confidence_multiplier"),
        "agreement": None,
        "agreement_note": None,
        "components_json": None,
        "processed_at": processed_at,
    }


def latest_train_end(
    results: Mapping[str, Mapping[str, Any]], systems: Iterable[str]
) -> date | None:
    """The latest ``train_end`` of the ``systems``' results (an ensemble row is as in sample as
    its most recently trained member); None when none of them says."""
    ends = [_day(results[s].get("train_end")) for s in systems if s in results]
    known = [end for end in ends if end is not None]
    return max(known) if known else None


def ensemble_row(
    header: PitcherGameHeader,
    outcome: EnsembleOutcome,
    config: PipelineConfig,
    created_at: datetime,
    train_end: date | None = None,
) -> Row:
    """The ensemble row of one finalized pitcher-game (``train_end``: see
    :func:`latest_train_end`)."""
    return {
        **_context(header),
        "system_id": config.ensemble_system_id,
        "predicted_strikeouts": outcome.predicted_strikeouts,
        "predicted_median": outcome.predicted_median,
        "p_over": outcome.p_over,
        "edge": outcome.call.edge,
        "recommendation": outcome.call.recommendation,
        "confidence": outcome.confidence,
        "red_flags": list(outcome.red_flags),
        "status": outcome.status,
        "status_reason": outcome.status_reason,
        "model_version": None,
        "model_alias": None,
        "train_end": train_end,
        "feature_set": None,
        "feature_set_version": None,
        "feature_coverage": None,
        "contributing_systems": list(outcome.contributing),
        "missing_systems": list(outcome.missing),
        "fallback_reason": outcome.fallback_reason,
        "weights_json": json.dumps(outcome.weights, sort_keys=True) if outcome.weights else None,
        "late": False,
        "created_at": created_at,
        "base_confidence": outcome.base_confidence,
        "confidence_multiplier": outcome.multiplier,
        "agreement": outcome.agreement,
        "agreement_note": outcome.agreement_note,
        "components_json": json.dumps(outcome.components, sort_keys=True)
        if outcome.components
        else None,
        "processed_at": created_at,
    }


def to_json(row: Row) -> dict[str, Any]:
    """``row`` with dates and timestamps as ISO strings (to keep it in aggregation state)."""
    return {k: v.isoformat() if isinstance(v, date | datetime) else v for k, v in row.items()}


def from_json(row: Mapping[str, Any]) -> Row:
    """Inverse of :func:`to_json` for a prediction row."""
    out = dict(row)
    out["game_date"] = date.fromisoformat(row["game_date"])
    out["run_created_at"] = from_iso(row["run_created_at"])
    out["created_at"] = from_iso(row["created_at"])
    for column in ("processed_at", "line_snapshot_at"):
        if row.get(column):
            out[column] = from_iso(row[column])
    out["train_end"] = _day(row.get("train_end"))
    return out
