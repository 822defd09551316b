"""On-demand prices for one pitcher-game: every system's count distribution, P(over/under) at
any line, fair odds and the expected profit at given prices, and the ensemble's.

Invariants: the pitcher-game message is built exactly as the pipeline builds it (the date's
schedule from the warehouse through fanout's point-in-time features, the opening line), and
each P(over) is the system's own calibrated probability, so a quote at the row's line equals
the pipeline's row for the same pitcher-game; the ensemble weighs the systems as
``ensemble_v1`` does (its pick's law when it answered, else base weights renormalized over
the systems that answered, the mixture of their laws); every
distribution sums to 1 (its last entry is P(K ≥ top)).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from strikeouts.countlaw import mixture_median, mixture_p_over, pmf_vector
from strikeouts.data.names import tokens
from strikeouts.errors import StrikeoutsError
from strikeouts.evaluation.odds import expected_profit, fair_american
from strikeouts.pipeline.assessment import assess
from strikeouts.pipeline.clock import SystemClock
from strikeouts.pipeline.config import PipelineConfig
from strikeouts.pipeline.ensemble import base_weights, member_weights
from strikeouts.pipeline.handlers import Fanout
from strikeouts.pipeline.payloads import LineMessage, PitcherGameMessage
from strikeouts.pipeline.recording import RecordingPublisher
from strikeouts.runtime.features import WarehouseFeatureSource
from strikeouts.runtime.predictors import ModelPredictor
from strikeouts.runtime.schedule import ScheduleError, schedule_event, slate
from strikeouts.warehouse.base import Warehouse

TOP_COUNT = 20


class QuoteError(StrikeoutsError, ValueError):
    """A quote that cannot be made as asked (unknown pitcher, no start that day, bad line)."""


@dataclass(frozen=True)
class Price:
    """A line to price, with the book's prices for each side when known."""

    line: float
    over_odds: float | None = None
    under_odds: float | None = None


@dataclass(frozen=True)
class LineQuote:
    """One line priced by one system (or the ensemble)."""

    line: float
    p_over: float
    p_under: float
    fair_over: float | None
    fair_under: float | None
    over_odds: float | None = None
    under_odds: float | None = None
    ev_over: float | None = None
    """Expected profit of 1 unit on OVER at ``over_odds``."""
    ev_under: float | None = None


@dataclass(frozen=True)
class SystemQuote:
    """What one system (or the ensemble) thinks of the pitcher-game."""

    system_id: str
    expected_strikeouts: float
    distribution: list[float]
    """P(K = k) for k = 0..19, then P(K ≥ 20)."""
    lines: list[LineQuote]
    model_version: str | None = None
    weights: dict[str, float] = field(default_factory=dict)
    median: float | None = None
    """The distribution's median (what minimises the absolute error)."""


@dataclass(frozen=True)
class Quote:
    """The pitcher-game and every system's answer."""

    pitcher_id: int
    pitcher_name: str | None
    game_id: str
    game_date: dt.date
    team: str
    opponent: str
    is_home: bool
    market_line: LineMessage | None
    """The line the pipeline would see for this pitcher-game (the opening snapshot)."""
    red_flags: list[str]
    skip_reason: str | None
    systems: list[SystemQuote]


def pitcher_game_message(
    warehouse: Warehouse,
    pitcher: str,
    game_date: dt.date,
    systems: Sequence[str],
    features: WarehouseFeatureSource | None = None,
) -> PitcherGameMessage:
    """The pitcher-game message of ``pitcher`` (MLBAM id or name) on ``game_date``;
    ``features``: a source kept across calls (it prepares the history once), as a server does."""
    try:
        day = slate(warehouse, game_date, game_date)
    except ScheduleError as exc:
        raise QuoteError(str(exc)) from None
    rows = day[_matches(day, pitcher)]
    if rows.empty:
        raise QuoteError(
            f"--pitcher {pitcher!r} has no start on {game_date} in the warehouse "
            f"({len(day)} starters that day)"
        )
    if rows["pitcher_id"].nunique() > 1:
        names = ", ".join(sorted(str(n) for n in rows["pitcher_name"].unique()))
        raise QuoteError(f"--pitcher {pitcher!r} is ambiguous on {game_date}: {names}")
    event = schedule_event(
        rows.to_dict("records"), game_date, "quote", SystemClock().now(), list(systems)
    )
    fanout = Fanout(
        features or WarehouseFeatureSource(warehouse), RecordingPublisher(), PipelineConfig()
    )
    return fanout(event)[0]


def _matches(day: Any, pitcher: str) -> Any:
    if pitcher.strip().isdigit():
        return day["pitcher_id"] == int(pitcher)
    wanted = tokens(pitcher)
    return day["pitcher_name"].map(lambda name: tokens(name) == wanted)


def quote(
    message: PitcherGameMessage,
    predictors: Sequence[ModelPredictor],
    prices: Sequence[Price],
    config: PipelineConfig | None = None,
) -> Quote:
    """Every system's and the ensemble's answer for one pitcher-game message."""
    config = config or PipelineConfig()
    header = message["header"]
    market = header["line"]
    asked = list(prices) or _market_price(market)
    systems = [_system_quote(p, message, asked) for p in predictors]
    dispersions = {p.system_id: p.system.alpha for p in predictors}
    assessment = assess(message["features"], config)
    return Quote(
        pitcher_id=int(header["pitcher_id"]),
        pitcher_name=header.get("pitcher_name"),
        game_id=header["game_id"],
        game_date=dt.date.fromisoformat(header["game_date"]),
        team=header["team"],
        opponent=header["opponent"],
        is_home=bool(header["is_home"]),
        market_line=market,
        red_flags=list(assessment.red_flags),
        skip_reason=assessment.skip_reason,
        systems=[*systems, _ensemble(systems, asked, config, dispersions)],
    )


def _market_price(market: Mapping[str, Any] | None) -> list[Price]:
    """The event's own line and prices, when nothing else was asked."""
    if not market:
        return []
    return [Price(float(market["line"]), market.get("over_odds"), market.get("under_odds"))]


def _system_quote(
    predictor: ModelPredictor, message: PitcherGameMessage, prices: Sequence[Price]
) -> SystemQuote:
    mean = predictor.predict(message).predicted_strikeouts
    assert mean is not None  # an ok result always has its count
    distribution = pmf_vector(mean, predictor.system.alpha, TOP_COUNT)
    lines = [
        _line_quote(price, predictor.p_over_at(mean, price.line), distribution) for price in prices
    ]
    return SystemQuote(
        system_id=predictor.system_id,
        expected_strikeouts=mean,
        distribution=distribution,
        lines=lines,
        model_version=predictor.model_version,
        median=predictor.system.median_one(mean),
    )


def _ensemble(
    systems: Sequence[SystemQuote],
    prices: Sequence[Price],
    config: PipelineConfig,
    alphas: Mapping[str, float],
) -> SystemQuote:
    ids = [s.system_id for s in systems]
    weights = member_weights(base_weights(ids, config), ids, config)
    mean = sum(weights[s.system_id] * s.expected_strikeouts for s in systems)
    mixture = [
        sum(weights[s.system_id] * s.distribution[k] for s in systems) for k in range(TOP_COUNT + 1)
    ]
    # the mixture's own P(over) and median, as ensemble_v1 reads them from the same mixture
    laws = [(weights[s.system_id], s.expected_strikeouts, alphas[s.system_id]) for s in systems]
    lines = [_line_quote(price, mixture_p_over(laws, price.line), mixture) for price in prices]
    median = mixture_median(laws)
    return SystemQuote(config.ensemble_system_id, mean, mixture, lines, None, weights, median)


def _line_quote(price: Price, p_over: float | None, distribution: Sequence[float]) -> LineQuote:
    if p_over is None:
        raise QuoteError(f"line {price.line} cannot be priced")
    # p_over is conditional on no push (a whole-number line refunds it); the expected profit
    # needs the push's chance too, which the count distribution gives
    whole = float(price.line).is_integer() and 0 <= price.line < len(distribution) - 1
    decided = 1.0 - (distribution[int(price.line)] if whole else 0.0)
    p_under = 1.0 - p_over
    return LineQuote(
        line=price.line,
        p_over=p_over,
        p_under=p_under,
        fair_over=fair_american(p_over),
        fair_under=fair_american(p_under),
        over_odds=price.over_odds,
        under_odds=price.under_odds,
        ev_over=_ev(p_over, p_under, decided, price.over_odds),
        ev_under=_ev(p_under, p_over, decided, price.under_odds),
    )


def _ev(p_win: float, p_lose: float, decided: float, odds: float | None) -> float | None:
    return None if odds is None else expected_profit(p_win * decided, p_lose * decided, odds)
