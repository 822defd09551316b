"""The walk-forward backtest: retrain at each period start, predict every start in the period.

Invariants: a model predicting period [p0, p1) was fitted on starts dated before p0 only;
its inputs are point-in-time features (the opening line at most); the closing line and the
outcome are attached afterwards, for evaluation only.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from strikeouts.backtest.alternates import system_alternates
from strikeouts.backtest.confidence import nan_if_none, system_confidence
from strikeouts.countlaw import median
from strikeouts.errors import StrikeoutsError
from strikeouts.features.history import History
from strikeouts.models.service import labelled_features, train
from strikeouts.models.systems import SYSTEMS, get_system
from strikeouts.models.training import TARGET
from strikeouts.pipeline.config import PipelineConfig
from strikeouts.pipeline.ensemble import combine
from strikeouts.warehouse.base import Warehouse

Retrain = Literal["monthly", "weekly", "once"]
LineSnapshot = Literal["first", "last"]
ENSEMBLE_ID = "ensemble_v1"
NAIVE_ID = "naive_season_avg"

# The closing market and the names are attached after prediction, for evaluation only.
CLOSING_SQL = """
SELECT s.game_id, s.pitcher_id, s.pitcher_name, l.close_line, l.close_over, l.close_under,
       l.close_all_lines_json
FROM pitcher_starts AS s
LEFT JOIN prop_lines AS l ON l.game_id = s.game_id AND l.pitcher_id = s.pitcher_id
WHERE s.game_date >= @start AND s.game_date <= @end
"""


# The last pre-game snapshot's prices, for a backtest whose predictions may see it.
LAST_SNAPSHOT_SQL = """
SELECT game_id, pitcher_id, close_line, close_over, close_under
FROM prop_lines WHERE game_id IS NOT NULL AND pitcher_id IS NOT NULL AND game_date <= @end
"""


class BacktestError(StrikeoutsError, ValueError):
    """A backtest that cannot run as asked (bad range, no data)."""


@dataclass(frozen=True)
class Period:
    """One retraining period: models trained before ``start`` predict ``start..end``."""

    start: dt.date
    end: dt.date


def periods(start: dt.date, end: dt.date, retrain: Retrain) -> list[Period]:
    """The retraining periods covering ``start..end`` (inclusive)."""
    if end < start:
        raise BacktestError(f"--end {end} is before --start {start}")
    if retrain == "once":
        return [Period(start, end)]
    bounds = list(_boundaries(start, end, retrain))
    return [Period(a, min(b - dt.timedelta(days=1), end)) for a, b in itertools.pairwise(bounds)]


def _boundaries(start: dt.date, end: dt.date, retrain: Retrain) -> Iterator[dt.date]:
    day = start
    while day <= end:
        yield day
        if retrain == "weekly":
            day = day + dt.timedelta(days=7)
        else:
            day = (pd.Timestamp(day) + pd.offsets.MonthBegin(1)).date()
    yield day


def _seeing_last_snapshot(warehouse: Warehouse, history: History, end: dt.date) -> History:
    """``history`` whose line features read the last pre-game snapshot instead of the first."""
    last = warehouse.query(LAST_SNAPSHOT_SQL, {"end": end}).drop_duplicates(
        ["game_id", "pitcher_id"]
    )
    lines = history.lines.drop(columns=["open_line", "open_over", "open_under"]).merge(
        last.drop(columns=["close_line"]), on=["game_id", "pitcher_id"], how="left"
    )
    lines = lines.assign(
        open_line=lines["close_line"],
        open_over=pd.to_numeric(lines["close_over"]).astype("float64"),
        open_under=pd.to_numeric(lines["close_under"]).astype("float64"),
    ).drop(columns=["close_over", "close_under"])
    return dataclasses.replace(history, lines=lines)


def naive_prediction(frame: pd.DataFrame, fallback: float) -> pd.Series:
    """Season-to-date mean strikeouts; the last-10-starts mean before a season's first start,
    and ``fallback`` (the training-window mean) for a pitcher with no prior start at all."""
    season = frame["season_k_total"] / frame["season_starts_before"].where(
        frame["season_starts_before"] > 0
    )
    return season.fillna(frame["k_avg_last10"]).fillna(fallback)


def walk_forward(
    warehouse: Warehouse,
    start: dt.date,
    end: dt.date,
    retrain: Retrain = "monthly",
    systems: Sequence[str] | None = None,
    progress: Callable[[str], None] | None = None,
    alternates: list[pd.DataFrame] | None = None,
    line_snapshot: LineSnapshot = "first",
) -> pd.DataFrame:
    """One row per start in ``start..end`` and system (the ensemble and a naive baseline too).

    With ``alternates``, each system's P(over) on every priced closing line is appended there
    (:mod:`strikeouts.backtest.alternates`). ``line_snapshot`` is the line the features may
    see, in training and prediction alike: the first snapshot of the day (what a morning slate
    knows) or the last one before first pitch (what a slate run just before the game knows; in
    the bulk lines that is the close).
    """
    system_ids = list(systems or SYSTEMS)
    config = PipelineConfig()
    history = History.load(warehouse, before=end + dt.timedelta(days=1))
    if line_snapshot == "last":
        history = _seeing_last_snapshot(warehouse, history, end)
    if history.starts.empty:
        raise BacktestError("the warehouse has no starts: run `strikeouts ingest` first")
    first = pd.Timestamp(history.starts["game_date"].min()).date()
    frame = labelled_features(history, first, end)
    dates = pd.to_datetime(frame["game_date"]).dt.date
    if not ((dates >= start) & (dates <= end)).any():
        raise BacktestError(f"no starts between {start} and {end} in the warehouse")
    closing = warehouse.query(CLOSING_SQL, {"start": start, "end": end})
    out: list[pd.DataFrame] = []
    for period in periods(start, end, retrain):
        test = frame[(dates >= period.start) & (dates <= period.end)]
        if test.empty:
            continue
        if progress:
            progress(f"{period.start}..{period.end}: training on starts before {period.start}")
        train_rows = frame[dates < period.start]
        fallback = float(train_rows[TARGET].mean())
        test = test.merge(closing, on=["game_id", "pitcher_id"], how="left")
        base = test[
            ["game_date", "game_id", "pitcher_id", "pitcher_name", "team", "opponent", TARGET]
        ].assign(
            line=test["close_line"],
            close_over=test["close_over"],
            close_under=test["close_under"],
            open_line=test["line"],
            # the de-vigged opening market, as the features saw it (for the market's own rows)
            market_p_over_open=test["implied_over_prob"],
            market_mean=test["market_mean"],
            naive_prediction=naive_prediction(test, fallback).to_numpy(),
            train_end=period.start,
        )
        for system_id in system_ids:
            model = train(frame, system_id, period.start)
            mean = model.predict_mean(test)
            p_over = model.p_over(mean, test["close_line"].to_numpy(dtype=float))
            # the confidence a user saw: against the opening line, the one the pipeline gets
            p_open = model.p_over(mean, test["line"].to_numpy(dtype=float))
            confidence = system_confidence(test, p_open, get_system(system_id).feature_set, config)
            if alternates is not None:
                alternates.append(system_alternates(test, model, mean, system_id))
            out.append(
                base.assign(
                    system_id=system_id,
                    model_version=f"walkforward@{period.start}",
                    predicted_strikeouts=mean,
                    predicted_median=median(mean, model.alpha),
                    count_dispersion=model.alpha,
                    p_over=p_over,
                    p_over_open=p_open,
                    **{c: confidence[c].to_numpy() for c in confidence.columns},
                )
            )
        naive = base["naive_prediction"].to_numpy(dtype=float)
        out.append(
            base.assign(
                system_id=NAIVE_ID,
                model_version="season-to-date",
                predicted_strikeouts=naive,
                p_over=np.nan,
            )
        )
    rows = pd.concat(out, ignore_index=True)
    rows = pd.concat([rows, ensemble_rows(rows, system_ids, config)], ignore_index=True)
    return rows.rename(columns={TARGET: "actual_strikeouts"}).sort_values(
        ["game_date", "game_id", "pitcher_id", "system_id"], ignore_index=True
    )


def ensemble_rows(
    rows: pd.DataFrame, system_ids: Sequence[str], config: PipelineConfig | None = None
) -> pd.DataFrame:
    """ensemble_v1 over the systems' rows, combined exactly as the pipeline combines them
    (every system answers: a start a hard red flag skips keeps its count, without confidence)."""
    config = config or PipelineConfig()
    members = rows[rows["system_id"].isin(system_ids)]
    by_start: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for record in members.to_dict("records"):
        key = (str(record["game_id"]), int(record["pitcher_id"]))
        by_start.setdefault(key, []).append({str(k): v for k, v in record.items()})
    combined = []
    for group in by_start.values():
        results = {str(r["system_id"]): _as_result(r, "p_over") for r in group}
        line = None if pd.isna(group[0]["line"]) else float(group[0]["line"])
        outcome = combine(results, list(system_ids), line, config)
        opening = {str(r["system_id"]): _as_result(r, "p_over_open") for r in group}
        open_line = None if pd.isna(group[0]["open_line"]) else float(group[0]["open_line"])
        at_open = combine(opening, list(system_ids), open_line, config)
        skipped = any(bool(r.get("skipped", False)) for r in group)
        combined.append(
            {
                **group[0],
                "system_id": ENSEMBLE_ID,
                "model_version": "+".join(sorted(results)),
                "predicted_strikeouts": outcome.predicted_strikeouts,
                "predicted_median": nan_if_none(outcome.predicted_median),
                "count_dispersion": np.nan,
                "p_over": nan_if_none(outcome.p_over),
                "p_over_open": nan_if_none(at_open.p_over),
                "confidence": nan_if_none(None if skipped else at_open.confidence),
                "base_confidence": nan_if_none(None if skipped else at_open.base_confidence),
                "confidence_multiplier": nan_if_none(None if skipped else at_open.multiplier),
                "red_flags": "|".join(outcome.red_flags),
                "skipped": skipped,
                "agreement": outcome.agreement,
            }
        )
    return pd.DataFrame(combined)


def _as_result(row: dict[str, Any], p_column: str) -> dict[str, Any]:
    """A backtest row as the system-prediction message the ensemble combines (its P(over)
    from ``p_column``: at the closing or the opening line)."""
    flags = str(row.get("red_flags") or "")
    return {
        "status": "ok",
        "predicted_strikeouts": float(row["predicted_strikeouts"]),
        "count_dispersion": float(row["count_dispersion"]),
        "p_over": None if pd.isna(row[p_column]) else float(row[p_column]),
        "confidence": None if pd.isna(row.get("confidence")) else float(row["confidence"]),
        "feature_coverage": None
        if pd.isna(row.get("feature_coverage"))
        else float(row["feature_coverage"]),
        "red_flags": [f for f in flags.split("|") if f],
    }


SNAPSHOT_CHOICES = ("open", "close", "first", "last", "both")
"""open (= first: the morning's snapshot) or close (= last: the one just before first pitch);
both runs the two on the same starts."""


def snapshot_rows(
    warehouse: Warehouse,
    start: dt.date,
    end: dt.date,
    retrain: Retrain,
    line_snapshot: str,
    progress: Callable[[str], None] | None = None,
    alternates: list[pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """Backtest rows seeing the first or last line snapshot, or both on the same starts.

    ``alternates`` (see :func:`walk_forward`) come from the single run, or from the
    first-snapshot run when both are asked for."""
    if line_snapshot != "both":
        snapshot: LineSnapshot = "last" if line_snapshot in ("last", "close") else "first"
        return walk_forward(
            warehouse,
            start,
            end,
            retrain,
            progress=progress,
            alternates=alternates,
            line_snapshot=snapshot,
        )
    first = walk_forward(warehouse, start, end, retrain, progress=progress, alternates=alternates)
    last = walk_forward(warehouse, start, end, retrain, progress=progress, line_snapshot="last")
    last = last[last["system_id"] != NAIVE_ID]  # the naive baseline sees no line
    last = last.assign(system_id=last["system_id"] + "@last")
    return pd.concat([first, last], ignore_index=True)
