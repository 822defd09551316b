"""The distribution judged on every line the market priced, not only the main one.

For each start with closing prices (``close_all_lines_json``: line → book → over/under), every
line with at least one two-way price gets the books' de-vigged P(over) (their median) and each
system's calibrated P(over) at that line, as ``strikeouts predict`` serves it; the outcome at
that line decides both (a push is excluded). Invariants: the model probabilities come from
models trained before the period (walk-forward, as the rows they sit beside), and a line is
scored only where the book priced both sides.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from strikeouts.countlaw import mixture_p_over
from strikeouts.evaluation.metrics import brier, log_loss, over_outcome
from strikeouts.evaluation.odds import devig_two_way
from strikeouts.models.training import TARGET, TrainedSystem
from strikeouts.pipeline.config import PipelineConfig
from strikeouts.pipeline.ensemble import base_weights, member_weights

COLUMN = "close_all_lines_json"


def priced_lines(test: pd.DataFrame) -> pd.DataFrame:
    """One row per (start, priced closing line): its position in ``test``, the line, the
    books' median de-vigged P(over), how many books, and whether it is the main line."""
    out: list[dict[str, Any]] = []
    for position, (raw, main) in enumerate(zip(test[COLUMN], test["close_line"], strict=True)):
        if not isinstance(raw, str) or not raw:
            continue
        for line_text, books in json.loads(raw).items():
            fair = [p for p in (_fair(price) for price in books.values()) if p is not None]
            if not fair:
                continue
            line = float(line_text)
            out.append(
                {
                    "position": position,
                    "line": line,
                    "p_book": float(np.median(fair)),
                    "n_books": len(fair),
                    "is_main": not pd.isna(main) and math.isclose(line, float(main)),
                }
            )
    return pd.DataFrame(out, columns=["position", "line", "p_book", "n_books", "is_main"])


def _fair(price: Any) -> float | None:
    over, under = price.get("over"), price.get("under")
    if over is None or under is None or abs(over) < 100 or abs(under) < 100:
        return None
    p_over, _ = devig_two_way(over, under)
    return float(p_over)


def system_alternates(
    test: pd.DataFrame, model: TrainedSystem, mean: npt.ArrayLike, system_id: str
) -> pd.DataFrame:
    """Every priced closing line of ``test`` with ``model``'s P(over) there and the outcome."""
    lines = priced_lines(test.reset_index(drop=True))
    if lines.empty:
        return lines
    rows = test.reset_index(drop=True).iloc[lines["position"].to_numpy()].reset_index(drop=True)
    means = np.asarray(mean, dtype=float)[lines["position"].to_numpy()]
    p_model = model.p_over(means, lines["line"].to_numpy(dtype=float))
    return lines.assign(
        system_id=system_id,
        game_id=rows["game_id"].to_numpy(),
        pitcher_id=rows["pitcher_id"].to_numpy(),
        actual_strikeouts=rows[TARGET].to_numpy(dtype=float),
        p_model=p_model,
        predicted_strikeouts=means,
        count_dispersion=model.alpha,
    ).drop(columns="position")


def with_ensemble(alternates: pd.DataFrame, weights: dict[str, float]) -> pd.DataFrame:
    """``alternates`` plus the ensemble's P(over) on the same lines: that of the weighted
    mixture of the systems' count laws, as ensemble_v1 reads it."""
    key = ["game_id", "pitcher_id", "line"]
    values = ["predicted_strikeouts", "count_dispersion"]
    wide = alternates.pivot_table(index=key, columns="system_id", values=values)
    if not set(weights) <= set(wide["predicted_strikeouts"].columns):
        return alternates
    weights = {s: w for s, w in weights.items() if w > 0}
    total = sum(weights.values())
    means = {s: wide["predicted_strikeouts"][s].to_numpy() for s in weights}
    alphas = {s: wide["count_dispersion"][s].to_numpy() for s in weights}
    lines = wide.index.get_level_values("line").to_numpy(dtype=float)
    mixed = np.array(
        [
            mixture_p_over(
                [(w / total, means[s][i], alphas[s][i]) for s, w in weights.items()], line
            )
            for i, line in enumerate(lines)
        ],
        dtype=float,
    )
    base = alternates.drop_duplicates(key).set_index(key).loc[wide.index]
    ensemble = base.assign(system_id="ensemble_v1", p_model=mixed).reset_index()
    return pd.concat([alternates, ensemble[alternates.columns]], ignore_index=True)


def alternate_scores(alternates: pd.DataFrame) -> pd.DataFrame:
    """Per system, on the main lines and on the alternate ones: lines scored, Brier and log
    loss of the model and of the de-vigged books on the same lines (pushes excluded)."""
    out = []
    for (system_id, is_main), rows in alternates.groupby(["system_id", "is_main"], sort=True):
        outcome = over_outcome(rows["actual_strikeouts"], rows["line"])
        decided = ~np.isnan(outcome)
        out.append(
            {
                "system_id": system_id,
                "lines": "main" if is_main else "alternate",
                "n": int(decided.sum()),
                "brier": brier(rows["p_model"], outcome),
                "book_brier": brier(rows["p_book"], outcome),
                "log_loss": log_loss(rows["p_model"], outcome),
                "book_log_loss": log_loss(rows["p_book"], outcome),
            }
        )
    return pd.DataFrame(out)


def score_alternates(frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """:func:`alternate_scores` of the systems' lines and of ensemble_v1 over them (its base
    weights renormalized over the systems present, as the pipeline weighs them)."""
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame(columns=["system_id", "lines", "n"])
    alternates = pd.concat(frames, ignore_index=True)
    present = sorted(alternates["system_id"].unique())
    config = PipelineConfig()
    weights = member_weights(base_weights(present, config), present, config)
    return alternate_scores(with_ensemble(alternates, weights))
