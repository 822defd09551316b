"""Confidence in the walk-forward backtest, computed by the pipeline's own functions, and the
table that says whether it means what it claims.

Invariants: a backtest row's confidence is what the system handler would give the same
features, coverage and ``p_over`` (red flags, coverage shrink, side factors, skips), so the
buckets judge the number users see; a bucket's hit rate is the favoured side's wins over its
decided bets (pushes excluded), never a flattering subset.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from strikeouts.features.catalog import coverage_column
from strikeouts.pipeline.assessment import assess, base_confidence, favoured_side, scaled
from strikeouts.pipeline.config import PipelineConfig

BUCKET_WIDTH = 10


def flag_features(config: PipelineConfig) -> list[str]:
    """Every feature a red-flag rule reads."""
    return sorted({c.feature for rule in config.red_flags.values() for c in rule.conditions})


def system_confidence(
    test: pd.DataFrame, p_over: npt.ArrayLike, feature_set: str, config: PipelineConfig
) -> pd.DataFrame:
    """Per row: confidence, base confidence, multiplier, red flags ('|'-joined) and whether
    a hard red flag skips it (then no confidence), as the system handler computes them."""
    names = [n for n in flag_features(config) if n in test.columns]
    coverage = test[coverage_column(feature_set)].to_numpy(dtype=float)
    records = test[names].to_dict("records")
    out: list[dict[str, Any]] = []
    probabilities = np.asarray(p_over, dtype=float).tolist()
    for features, p, cov in zip(records, probabilities, coverage, strict=True):
        clean = {str(k): (None if pd.isna(v) else float(v)) for k, v in features.items()}
        assessment = assess(clean, config)
        p_value = None if p is None or math.isnan(p) else float(p)
        base = base_confidence(p_value, cov)
        multiplier = assessment.multiplier(favoured_side(p_value)) if p_value is not None else 1.0
        skipped = assessment.skip_reason is not None
        out.append(
            {
                "confidence": np.nan if skipped else nan_if_none(scaled(base, multiplier, config)),
                "base_confidence": np.nan if skipped else nan_if_none(base),
                "confidence_multiplier": np.nan if skipped or base is None else multiplier,
                "red_flags": "|".join(assessment.red_flags),
                "skipped": skipped,
                "feature_coverage": cov,
            }
        )
    return pd.DataFrame(out, index=test.index)


def nan_if_none(value: float | None) -> float:
    """``value`` as a float column entry: NaN for None."""
    return np.nan if value is None else float(value)


def confidence_buckets(
    rows: pd.DataFrame, line_column: str = "open_line", p_column: str = "p_over_open"
) -> pd.DataFrame:
    """Per system and 10-point confidence bucket: rows, mean confidence, the favoured side's
    hit rate against the line the confidence was computed for (the opening line, as served;
    pushes excluded), and the count MAE."""
    lined = rows[rows["confidence"].notna() & rows[line_column].notna() & rows[p_column].notna()]
    lined = lined[lined["actual_strikeouts"].notna()]
    over = lined[p_column] >= 0.5
    actual, line = lined["actual_strikeouts"], lined[line_column]
    decided = actual != line
    won = (over & (actual > line)) | (~over & (actual < line))
    lower = (lined["confidence"] // BUCKET_WIDTH * BUCKET_WIDTH).clip(upper=100 - BUCKET_WIDTH)
    frame = pd.DataFrame(
        {
            "system_id": lined["system_id"],
            "bucket": lower.astype(int),
            "confidence": lined["confidence"],
            "won": won.astype(float).where(decided),
            "abs_error": (lined["predicted_strikeouts"] - actual).abs(),
        }
    )
    grouped = frame.groupby(["system_id", "bucket"], sort=True)
    table = grouped.agg(
        n=("confidence", "size"),
        mean_confidence=("confidence", "mean"),
        decided=("won", "count"),
        hit_rate=("won", "mean"),
        mae=("abs_error", "mean"),
    ).reset_index()
    # a binomial standard error, so "monotone within noise" can be read off the table
    hit = table["hit_rate"].astype(float)
    table["hit_rate_se"] = np.sqrt(hit * (1 - hit) / table["decided"])
    return table
