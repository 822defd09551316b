"""The consensus line of each pitcher in one snapshot of many books' quotes.

Invariant: the main line is the point offered by the most books (a tie goes to the point
whose median prices are closest to even, then to the lower point: deterministic); its prices
are the medians of the books' prices at that point, taken in implied probability so a market
straddling even money (-105 / +105) gives a price, not 0. Every point and book stays in
``all_lines_json``, so the snapshot can be rebuilt.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterable
from dataclasses import dataclass

from strikeouts.sources.ports import LineQuote


@dataclass(frozen=True)
class Consensus:
    """One pitcher's consensus in one snapshot."""

    pitcher_name: str
    line: float
    over: int | None
    under: int | None
    n_books: int
    n_lines: int
    main_line_books_json: str
    all_lines_json: str


def implied(price: int) -> float:
    """American price → implied probability (margin included)."""
    return 100.0 / (price + 100.0) if price > 0 else -price / (-price + 100.0)


def american(probability: float) -> int:
    """Implied probability → the American price, rounded to a whole number."""
    if probability >= 0.5:
        return -round(100.0 * probability / (1.0 - probability))
    return round(100.0 * (1.0 - probability) / probability)


def median_price(prices: Iterable[int | None]) -> int | None:
    """The median of the prices in implied probability, as an American price."""
    values = [implied(p) for p in prices if p is not None]
    return american(statistics.median(values)) if values else None


def consensus(quotes: Iterable[LineQuote]) -> list[Consensus]:
    """One :class:`Consensus` per pitcher named in ``quotes``, sorted by name."""
    by_pitcher: dict[str, list[LineQuote]] = {}
    for quote in quotes:
        by_pitcher.setdefault(quote.pitcher_name, []).append(quote)
    return [_one(name, rows) for name, rows in sorted(by_pitcher.items())]


def _one(name: str, quotes: list[LineQuote]) -> Consensus:
    by_point: dict[float, list[LineQuote]] = {}
    for quote in quotes:
        by_point.setdefault(quote.point, []).append(quote)

    def rank(point: float) -> tuple[int, float, float]:
        rows = by_point[point]
        over, under = median_price(q.over for q in rows), median_price(q.under for q in rows)
        balance = abs(implied(over) - implied(under)) if over and under else 1.0
        return (-len({q.book for q in rows}), balance, point)

    main = min(by_point, key=rank)
    rows = by_point[main]
    return Consensus(
        pitcher_name=name,
        line=main,
        over=median_price(q.over for q in rows),
        under=median_price(q.under for q in rows),
        n_books=len({q.book for q in rows}),
        n_lines=len(by_point),
        main_line_books_json=json.dumps(
            {q.book: {"over": q.over, "under": q.under} for q in rows}, sort_keys=True
        ),
        all_lines_json=json.dumps(
            {
                str(point): {q.book: {"over": q.over, "under": q.under} for q in by_point[point]}
                for point in sorted(by_point)
            },
            sort_keys=True,
        ),
    )
