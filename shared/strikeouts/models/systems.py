"""The prediction systems: which features each one reads and how its model is trained.

Invariant: a system is one entry of :data:`SYSTEMS` (plus its feature set). Everything else
reads this registry when it runs instead of repeating its ids: training, serving, the backtest,
the pipeline's expected systems and base weights, the deployable functions (one generic entry
deployed once per system), the local stack's processes and routes, the system ids Terraform
accepts (written beside the packaged functions) and the monitoring checks. Readers look the
registry up at call time, never copy it at import, so an entry added before use is seen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from strikeouts.errors import StrikeoutsError


class UnknownSystemError(StrikeoutsError, KeyError):
    """A system id that is not in the registry."""

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class SystemSpec:
    """A system: its feature set, its XGBoost objective and hyper-parameters, and its base
    weight in the ensemble (renormalized over the systems present)."""

    system_id: str
    feature_set: str
    objective: str
    params: dict[str, Any] = field(default_factory=dict)
    num_boost_round: int = 600
    early_stopping_rounds: int = 50
    description: str = ""
    weight: float = 0.2
    anchor: str | None = None
    """A feature holding the market's implied mean: the booster then learns only a correction
    (its log is the base margin), trains on the rows that have it, and its count law is the
    market's (Poisson, no separate P(over) calibration)."""
    anchor_fallback: str | None = None
    """The feature standing in for ``anchor`` on a row without it (no line: features alone)."""


# Objective chosen by measurement (benchmarks/objectives.py, docs/MODELING.md): Tweedie with
# variance power 1.2 edged out Poisson and squared error walk-forward on MAE, Brier and log
# loss — by little (≈0.2%), but on every metric. It fits a mean, which P(over) is built around.
OBJECTIVE = "reg:tweedie"

_COMMON: dict[str, Any] = {
    "tweedie_variance_power": 1.2,
    "eta": 0.03,
    "max_depth": 4,
    "min_child_weight": 20,
    "subsample": 0.8,
    "colsample_bytree": 0.8,
    "lambda": 5.0,
    "tree_method": "hist",
    # One thread: a training is ~2.5 s of CPU on one core, and with two OpenMP threads on a
    # busy 2-core machine (CI, two test workers) the threads spin-wait for each other: measured
    # 62 s of CPU instead of 2.6 s for the same booster. A function instance has one vCPU too.
    "nthread": 1,
    "seed": 7,
}

# The market-anchored system fits a log-link count model on top of log(market mean): Poisson
# deviance, small shallow trees and strong regularisation, as the correction is small and the
# lined history short (docs/MODELING.md).
_ANCHORED: dict[str, Any] = {
    **{k: v for k, v in _COMMON.items() if k != "tweedie_variance_power"},
    "max_depth": 3,
    "min_child_weight": 100,
    "lambda": 10.0,
}

SYSTEMS: dict[str, SystemSpec] = {
    s.system_id: s
    for s in (
        SystemSpec(
            system_id="v1_baseline",
            feature_set="v1_baseline",
            objective=OBJECTIVE,
            params=dict(_COMMON),
            description="XGBoost on the 25 features of the replaced system",
            weight=0.3,
        ),
        SystemSpec(
            system_id="v1_6_rolling",
            feature_set="v1_6_rolling",
            objective=OBJECTIVE,
            params=dict(_COMMON),
            description="XGBoost on 35 rolling, context and line-relative features",
            weight=0.5,
        ),
        SystemSpec(
            system_id="v2_market",
            feature_set="v2_market",
            objective="count:poisson",
            params=dict(_ANCHORED),
            description="the count law implied by the opening line and both prices, corrected "
            "by XGBoost on pitcher form and matchup",
            anchor="market_mean",
            anchor_fallback="expected_k_matchup",
        ),
    )
}


def get_system(system_id: str) -> SystemSpec:
    """The spec of ``system_id``; an unknown id names the known ones."""
    try:
        return SYSTEMS[system_id]
    except KeyError:
        raise UnknownSystemError(
            f"unknown system {system_id!r}; known systems: {', '.join(sorted(SYSTEMS))}"
        ) from None


def system_ids() -> list[str]:
    """Every registered system id, in registration order."""
    return list(SYSTEMS)


def base_weights() -> dict[str, float]:
    """Each registered system's base ensemble weight."""
    return {s.system_id: s.weight for s in SYSTEMS.values()}
