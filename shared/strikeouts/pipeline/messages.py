"""Message contracts: JSON Schemas in ``schemas/messages``, compiled once, checked at every boundary.

A payload that is not JSON, too large, of another schema version or outside the schema's
bounds raises :class:`~strikeouts.pipeline.errors.InvalidMessage` naming the field and value;
handlers never see an unchecked message, and never publish one.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any, Literal, overload

import jsonschema
import jsonschema_rs
from referencing import Registry, Resource

from strikeouts.pipeline.clock import from_iso
from strikeouts.pipeline.errors import InvalidMessage
from strikeouts.pipeline.payloads import (
    EnsembleTick,
    GamedayTrigger,
    GameScheduleEvent,
    PitcherGameMessage,
    PredictionsComplete,
    SystemPredictionMessage,
)
from strikeouts.settings import SCHEMAS_DIR

MESSAGE_SCHEMAS = SCHEMAS_DIR / "messages"
SCHEMA_VERSION = 1


MessageKind = Literal[
    "game-schedule",
    "pitcher-game",
    "system-prediction",
    "ensemble-tick",
    "gameday-trigger",
    "predictions-complete",
]
KINDS: tuple[MessageKind, ...] = (
    "game-schedule",
    "pitcher-game",
    "system-prediction",
    "ensemble-tick",
    "gameday-trigger",
    "predictions-complete",
)

Payload = bytes | str | Mapping[str, Any]


@dataclass(frozen=True, order=True)
class PitcherGameKey:
    """What the ensemble aggregates over: one pitcher in one game of one run."""

    run_id: str
    game_id: str
    pitcher_id: int

    @classmethod
    def of(cls, header: Mapping[str, Any]) -> PitcherGameKey:
        """The key of a pitcher-game header."""
        return cls(str(header["run_id"]), str(header["game_id"]), int(header["pitcher_id"]))

    def __str__(self) -> str:
        return f"{self.run_id}/{self.game_id}/{self.pitcher_id}"


@cache
def _registry() -> Registry:
    resources = []
    for path in sorted(MESSAGE_SCHEMAS.glob("*.json")):
        schema = json.loads(path.read_text())
        resource = Resource.from_contents(schema)
        resources.append((schema["$id"], resource))
    return Registry().with_resources(resources)


@cache
def validator(kind: MessageKind) -> jsonschema.protocols.Validator:
    """The compiled validator of ``kind`` (built once per process)."""
    schema = json.loads((MESSAGE_SCHEMAS / f"{kind}.v{SCHEMA_VERSION}.json").read_text())
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    checker: jsonschema.protocols.Validator = cls(schema, registry=_registry())
    return checker


@cache
def _fast_validator(kind: MessageKind) -> Any:
    """The compiled Rust validator of ``kind``: the fast yes/no check before the detailed one."""
    schemas = [json.loads(p.read_text()) for p in sorted(MESSAGE_SCHEMAS.glob("*.json"))]
    registry = jsonschema_rs.Registry([(s["$id"], s) for s in schemas])
    schema = json.loads((MESSAGE_SCHEMAS / f"{kind}.v{SCHEMA_VERSION}.json").read_text())
    return jsonschema_rs.validator_for(schema, registry=registry)


def _known_valid(kind: MessageKind, message: Mapping[str, Any]) -> bool:
    """True when the fast validator accepts ``message``; anything else takes the detailed path."""
    try:
        return bool(_fast_validator(kind).is_valid(message))
    except Exception:  # values it cannot convert (NaN...): let jsonschema decide and explain
        return False


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not a valid JSON number")


def parse_json(payload: Payload, max_bytes: int) -> dict[str, Any]:
    """The JSON object in ``payload``; bad JSON, NaN/Infinity or oversize raise InvalidMessage."""
    if isinstance(payload, Mapping):
        return dict(payload)
    raw = payload.encode() if isinstance(payload, str) else payload
    if len(raw) > max_bytes:
        raise InvalidMessage(f"payload is {len(raw)} bytes, above the {max_bytes}-byte limit")
    try:
        parsed = json.loads(raw, parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidMessage(f"payload is not valid JSON: {exc}") from None
    if not isinstance(parsed, dict):
        raise InvalidMessage(f"payload must be a JSON object, got {type(parsed).__name__}")
    return parsed


def _path(error: jsonschema.ValidationError) -> str:
    return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)


def validate(kind: MessageKind, message: Mapping[str, Any]) -> None:
    """Raise InvalidMessage naming the field and value when ``message`` breaks ``kind``'s schema."""
    version = message.get("schema_version")
    if version != SCHEMA_VERSION:
        raise InvalidMessage(
            f"{kind}: schema_version={version!r} is not supported (expected {SCHEMA_VERSION})"
        )
    # the detailed (slow) validator only runs to name what is wrong
    errors = (
        []
        if _known_valid(kind, message)
        else sorted(validator(kind).iter_errors(message), key=lambda e: list(e.absolute_path))
    )
    if errors:
        worst = jsonschema.exceptions.best_match(errors) or errors[0]
        value = json.dumps(worst.instance)[:200]
        raise InvalidMessage(f"{kind}: {_path(worst)} = {value}: {worst.message[:300]}")
    _check_semantics(kind, message)


def _check_semantics(kind: MessageKind, message: Mapping[str, Any]) -> None:
    """What JSON Schema cannot say: real calendar dates and timestamps."""
    header = message.get("header", message)
    for field in ("game_date",):
        if field in header:
            try:
                date.fromisoformat(header[field])
            except ValueError:
                raise InvalidMessage(f"{kind}: {field} = {header[field]!r} is not a date") from None
    for field in ("run_created_at", "deadline", "produced_at", "scheduled_at", "completed_at"):
        for holder in (message, header):
            if field in holder:
                try:
                    from_iso(holder[field])
                except ValueError:
                    raise InvalidMessage(
                        f"{kind}: {field} = {holder[field]!r} is not an ISO timestamp"
                    ) from None


@overload
def decode(
    kind: Literal["pitcher-game"], payload: Payload, max_bytes: int = ...
) -> PitcherGameMessage: ...
@overload
def decode(
    kind: Literal["system-prediction"], payload: Payload, max_bytes: int = ...
) -> SystemPredictionMessage: ...
@overload
def decode(
    kind: Literal["game-schedule"], payload: Payload, max_bytes: int = ...
) -> GameScheduleEvent: ...
@overload
def decode(
    kind: Literal["ensemble-tick"], payload: Payload, max_bytes: int = ...
) -> EnsembleTick: ...
@overload
def decode(
    kind: Literal["gameday-trigger"], payload: Payload, max_bytes: int = ...
) -> GamedayTrigger: ...
@overload
def decode(
    kind: Literal["predictions-complete"], payload: Payload, max_bytes: int = ...
) -> PredictionsComplete: ...
def decode(kind: MessageKind, payload: Payload, max_bytes: int = 262_144) -> Any:
    """Parse and validate one incoming message of ``kind``: the one place a payload becomes a
    message, typed by its kind (:mod:`strikeouts.pipeline.payloads`)."""
    message = parse_json(payload, max_bytes)
    if message.get("message_type", kind) != kind:
        raise InvalidMessage(
            f"expected a {kind} message, got message_type={message['message_type']!r}"
        )
    validate(kind, message)
    return message


def encode(kind: MessageKind, message: Mapping[str, Any]) -> bytes:
    """Validate an outgoing message and serialize it (compact, sorted keys: replays are byte-equal)."""
    validate(kind, message)
    return json.dumps(message, sort_keys=True, separators=(",", ":"), allow_nan=False).encode()


def json_number(value: Any) -> float | None:
    """A finite float, or None for missing/NaN values (JSON carries no NaN)."""
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None
