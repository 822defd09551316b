"""A quote as JSON (the ``predict`` function's response and ``strikeouts predict --format json``),
and the ``LINE[@OVER/UNDER]`` syntax prices are asked in.

Invariant: the CLI and the HTTP function give the same document for the same question.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from typing import Any

from strikeouts.runtime.quote import Price, Quote, QuoteError


def parse_price(text: str) -> Price:
    """``6.5`` or ``6.5@-120/+100`` → a Price; QuoteError naming the text otherwise."""
    line_text, _, odds = text.partition("@")
    try:
        line = float(line_text)
        over, under = (_odds(o) for o in odds.split("/")) if odds else (None, None)
    except ValueError:
        raise QuoteError(
            f"--line {text!r} is not LINE or LINE@OVER/UNDER (e.g. 6.5 or 6.5@-120/+100)"
        ) from None
    if not (0 <= line <= 27 and (line * 2).is_integer()):
        raise QuoteError(f"--line {text!r}: a strikeout line is a whole or half number in 0..27")
    return Price(line, over, under)


def _odds(text: str) -> float | None:
    if text in ("", "-"):
        return None
    value = float(text)
    if abs(value) < 100:
        raise ValueError(text)
    return value


def quote_document(quote: Quote) -> dict[str, Any]:
    """The quote as a JSON-ready dict (floats rounded to 6 places, dates as ISO)."""
    return _clean(dataclasses.asdict(quote))


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, 6)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value
