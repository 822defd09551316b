"""Hit rates with and without a red flag, and the systems' agreement, from walk-forward rows.

Invariants: every row measured is a walk-forward prediction (its model was trained on starts
before the row's period only); a flag is raised by the pipeline's own rule evaluation
(:func:`strikeouts.pipeline.assessment.assess`) on the start's point-in-time features; a row's
side is graded against the closing line with pushes excluded; nothing here tunes a number on
the rows it reports (the table only says what each candidate does).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from strikeouts.pipeline.assessment import assess
from strikeouts.pipeline.config import Comparison, Condition, PipelineConfig, RedFlagRule
from strikeouts.pipeline.ensemble import agreement_of
from strikeouts.pipeline.recommendation import recommend

KEYS = ["game_id", "pitcher_id"]


@dataclass(frozen=True)
class Candidate:
    """A value of one pipeline flag to measure: its name, a label and the rule."""

    flag: str
    label: str
    rule: RedFlagRule


def candidate(flag: str, label: str, *conditions: tuple[str, Comparison, float]) -> Candidate:
    """A candidate raised when every ``(feature, comparison, threshold)`` holds."""
    rule = RedFlagRule(
        conditions=[Condition(feature=f, comparison=c, threshold=t) for f, c, t in conditions],
        action="multiplier",
    )
    return Candidate(flag, label, rule)


def raised(features: pd.DataFrame, candidates: Sequence[Candidate]) -> pd.DataFrame:
    """One boolean column per candidate label: whether the pipeline would raise it."""
    records = [
        {str(k): (None if pd.isna(v) else float(v)) for k, v in r.items()}
        for r in features.drop(columns=KEYS).to_dict("records")
    ]
    out = features[KEYS].copy()
    for c in candidates:
        config = PipelineConfig(red_flags={c.flag: c.rule})
        out[c.label] = [bool(assess(r, config).red_flags) for r in records]
    return out


def sides(rows: pd.DataFrame, edge_threshold: float) -> pd.DataFrame:
    """Rows with a closing line and an outcome, with ``favoured`` (the side P(over) at the
    close favours), ``call`` (OVER/UNDER/PASS as the pipeline's rule calls it at the close,
    before confidence) and ``won`` (the favoured side won; NaN for a push)."""
    lined = rows[rows["line"].notna() & rows["actual_strikeouts"].notna() & rows["p_over"].notna()]
    line, actual = lined["line"].astype(float), lined["actual_strikeouts"].astype(float)
    over = lined["p_over"].astype(float) >= 0.5
    won = ((over & (actual > line)) | (~over & (actual < line))).astype(float)
    calls: list[str] = [
        recommend(float(m), float(p), float(li), edge_threshold).recommendation or "PASS"
        for m, p, li in zip(lined["predicted_strikeouts"], lined["p_over"], line, strict=True)
    ]
    return lined.assign(
        favoured=np.where(over, "OVER", "UNDER"),
        call=calls,
        won=won.where(actual != line),
    )


def _bets(measured: pd.DataFrame, bets: str) -> pd.DataFrame:
    """Decided rows with their ``side``: the favoured side of every row, or OVER/UNDER calls."""
    decided = measured[measured["won"].notna()]
    if bets == "call":
        calls = decided[decided["call"].isin(["OVER", "UNDER"])]
        return calls.assign(side=calls["call"])
    return decided.assign(side=decided["favoured"])


def hit_by(measured: pd.DataFrame, column: str, bets: str) -> pd.DataFrame:
    """Per system, value of ``column`` and side: decided bets and hit rate (see hit_table)."""
    grouped = _bets(measured, bets).groupby(["system_id", column, "side"], sort=True)["won"]
    table = grouped.agg(n="size", hit="mean").reset_index()
    return table.assign(hit_se=np.sqrt(table["hit"] * (1 - table["hit"]) / table["n"]))


def hit_table(measured: pd.DataFrame, labels: Sequence[str], bets: str) -> pd.DataFrame:
    """Per system, candidate and side: decided bets and hit rate with and without the flag,
    the difference with its standard error, and the factor the hit rates imply (conviction
    with the flag over conviction without). ``bets``: "favoured" (every lined start, the side
    its P(over) favours: what a confidence factor scales) or "call" (OVER/UNDER calls only)."""
    out = []
    for (system, side), group in _bets(measured, bets).groupby(["system_id", "side"], sort=True):
        for label in labels:
            flagged = group[label].astype(bool)
            out.append(
                {"system_id": system, "candidate": label, "side": side}
                | _compare(group.loc[flagged, "won"], group.loc[~flagged, "won"])
            )
    return pd.DataFrame(out)


def _compare(with_flag: pd.Series, without: pd.Series) -> dict[str, float]:
    n1, n0 = len(with_flag), len(without)
    p1 = float(with_flag.mean()) if n1 else np.nan
    p0 = float(without.mean()) if n0 else np.nan
    se = float(np.sqrt(p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0)) if n1 and n0 else np.nan
    implied = (p1 - 0.5) / (p0 - 0.5) if n1 and n0 and p0 > 0.5 else np.nan
    return {
        "n_flag": n1,
        "hit_flag": p1,
        "n_none": n0,
        "hit_none": p0,
        "diff": p1 - p0,
        "diff_se": se,
        "implied_factor": implied,
    }


def spreads(rows: pd.DataFrame, systems: Sequence[str], config: PipelineConfig) -> pd.DataFrame:
    """Per start answered by every system in ``systems`` and not skipped by a hard red flag:
    the date, the spread (max − min) of their predicted counts and the agreement level the
    ensemble gives it (:func:`strikeouts.pipeline.ensemble.agreement_of`)."""
    members = rows[rows["system_id"].isin(systems)]
    if "skipped" in members:
        members = members[~members["skipped"].fillna(False).astype(bool)]
    out = []
    for (game_id, pitcher_id, day), group in members.groupby([*KEYS, "game_date"]):
        if len(group) != len(systems):
            continue
        counts = group["predicted_strikeouts"].astype(float)
        answers = {
            str(s): {"predicted_strikeouts": v}
            for s, v in zip(group["system_id"], counts, strict=True)
        }
        level, _ = agreement_of(answers, config)
        spread = float(counts.max() - counts.min())
        out.append(
            {
                "game_id": game_id,
                "pitcher_id": pitcher_id,
                "game_date": day,
                "spread": spread,
                "level": level,
            }
        )
    return pd.DataFrame(out)


def daily_agreement(per_start: pd.DataFrame, agreeing: Sequence[str]) -> pd.DataFrame:
    """Per date: pitcher-games compared and the share at an ``agreeing`` level (the monitor's
    strong + moderate share)."""
    frame = per_start.assign(agree=per_start["level"].isin(list(agreeing)))
    return (
        frame.groupby("game_date")
        .agg(compared=("agree", "size"), share=("agree", "mean"))
        .reset_index()
    )
