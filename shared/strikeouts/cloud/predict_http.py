"""The ``predict`` HTTP function: a quote for one pitcher-game as JSON (what ``strikeouts
predict --format json`` prints), for any line.

Request: ``POST`` a JSON object ``{"pitcher": "Bryan Woo" | 693433, "date": "2025-07-04",
"lines": ["6.5@-120/+100", "7.5"]}`` (``lines`` optional), or ``GET`` with the same names as
query parameters (``line`` repeated). Answers 200 with the quote, 400 with ``{"error": ...}``
naming the bad field, 500 on a failure of ours (logged). Invariants: the warehouse, the
model store and the champions are opened once per instance; the function is deployed
IAM-authenticated only (``infra/predict.tf``), so it never checks a caller itself.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from strikeouts.errors import StrikeoutsError
from strikeouts.logs import get_logger
from strikeouts.settings import Settings, get_settings

if TYPE_CHECKING:
    from strikeouts.runtime.features import WarehouseFeatureSource
    from strikeouts.runtime.served import AliasPredictor

log = get_logger(__name__)
JSON = {"Content-Type": "application/json"}
Response = tuple[str, int, dict[str, str]]


class BadRequest(StrikeoutsError, ValueError):
    """The request names no pitcher or date, or a malformed one."""


class PredictService:
    """The instance's warehouse and champions, opened on the first request."""

    def __init__(self, settings: Settings | None = None) -> None:
        self._settings = settings
        self._lock = threading.Lock()
        self._ready: tuple[WarehouseFeatureSource, list[AliasPredictor]] | None = None

    def configure(self, settings: Settings) -> None:
        """Use ``settings`` from the next request on (tests)."""
        with self._lock:
            self._settings, self._ready = settings, None

    def ready(self) -> tuple[WarehouseFeatureSource, list[AliasPredictor]]:
        """The instance's feature source (its history prepared once, reloaded when the
        warehouse changes) and one predictor per system following its champion alias."""
        with self._lock:
            if self._ready is None:
                from strikeouts.cloud.functions import (
                    open_feature_warehouse,
                    open_function_model_store,
                )
                from strikeouts.models.systems import SYSTEMS
                from strikeouts.runtime.features import WarehouseFeatureSource
                from strikeouts.runtime.served import AliasPredictor

                settings = self._settings or get_settings()
                store = open_function_model_store(settings)
                predictors = [AliasPredictor(store, system_id) for system_id in SYSTEMS]
                features = WarehouseFeatureSource(open_feature_warehouse(settings))
                self._ready = (features, predictors)
            return self._ready

    def answer(self, question: Mapping[str, Any]) -> dict[str, Any]:
        """The quote document for a parsed question; QuoteError/BadRequest when it is bad."""
        from strikeouts.runtime.quote import pitcher_game_message, quote
        from strikeouts.runtime.quote_json import parse_price, quote_document

        pitcher, date, lines = _question(question)
        prices = [parse_price(text) for text in lines]
        features, champions = self.ready()
        predictors = [p.now() for p in champions]  # a promotion is served within the alias TTL
        with self._lock:  # one DuckDB connection is not for two threads at once
            systems = [p.system_id for p in predictors]
            message = pitcher_game_message(features.warehouse, pitcher, date, systems, features)
        return quote_document(quote(message, predictors, prices))


def _question(question: Mapping[str, Any]) -> tuple[str, dt.date, list[str]]:
    pitcher = question.get("pitcher")
    if pitcher is None or str(pitcher).strip() == "":
        raise BadRequest("'pitcher' is required: an MLBAM id or a name")
    try:
        date = dt.date.fromisoformat(str(question.get("date")))
    except ValueError:
        raise BadRequest(f"'date'={question.get('date')!r} is not a date (YYYY-MM-DD)") from None
    lines = question.get("lines") or []
    if isinstance(lines, str | int | float):
        lines = [lines]
    if not isinstance(lines, list):
        raise BadRequest(f"'lines' must be a list of lines, got {type(lines).__name__}")
    return str(pitcher), date, [str(x) for x in lines]


def handle(
    service: PredictService, method: str, body: bytes, args: Mapping[str, list[str]]
) -> Response:
    """One HTTP request → (body, status, headers)."""
    from strikeouts.runtime.quote import QuoteError

    try:
        question = _parse(method, body, args)
        return json.dumps(service.answer(question)), 200, JSON
    except (BadRequest, QuoteError) as exc:
        return json.dumps({"error": str(exc)}), 400, JSON
    except Exception as exc:
        log.error("predict failed", error=repr(exc))
        return json.dumps({"error": "internal error; see the function's logs"}), 500, JSON


def _parse(method: str, body: bytes, args: Mapping[str, list[str]]) -> dict[str, Any]:
    if method == "GET":
        return {
            "pitcher": _first(args, "pitcher"),
            "date": _first(args, "date"),
            "lines": args.get("line") or [],
        }
    if method != "POST":
        raise BadRequest(f"method {method} is not supported: use GET or POST")
    try:
        question = json.loads(body or b"{}")
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest(f"the request body is not JSON: {exc}") from None
    if not isinstance(question, dict):
        raise BadRequest(f"the request body must be a JSON object, not {type(question).__name__}")
    return question


def _first(args: Mapping[str, list[str]], name: str) -> str | None:
    values = args.get(name) or []
    return values[0] if values else None


service = PredictService()
