"""The typed payloads say what the JSON Schemas say: the same properties, the same required."""

from __future__ import annotations

import json
from typing import Any, get_type_hints

import pytest

from strikeouts.pipeline import payloads
from strikeouts.pipeline.messages import MESSAGE_SCHEMAS
from strikeouts.pipeline.payloads import AggregationState, new_state

# TypedDict -> (schema file, JSON pointer of its object schema in that file)
SHAPES: dict[type, tuple[str, str]] = {
    payloads.LineMessage: ("_common.v1.json", "/$defs/line"),
    payloads.PitcherGameHeader: ("pitcher-game.v1.json", "/$defs/header"),
    payloads.PitcherGameMessage: ("pitcher-game.v1.json", ""),
    payloads.SystemPredictionMessage: ("system-prediction.v1.json", ""),
    payloads.Starter: (
        "game-schedule.v1.json",
        "/properties/games/items/properties/starters/items",
    ),
    payloads.ScheduledGame: ("game-schedule.v1.json", "/properties/games/items"),
    payloads.GameScheduleEvent: ("game-schedule.v1.json", ""),
    payloads.EnsembleTick: ("ensemble-tick.v1.json", ""),
    payloads.GamedayTrigger: ("gameday-trigger.v1.json", ""),
    payloads.PredictionsComplete: ("predictions-complete.v1.json", ""),
}


def _schema(file: str, pointer: str) -> dict[str, Any]:
    node: Any = json.loads((MESSAGE_SCHEMAS / file).read_text())
    for part in pointer.split("/")[1:]:
        node = node[part]
    assert isinstance(node, dict)
    return node


def test_every_schema_file_has_its_typed_message() -> None:
    files = {file for file, pointer in SHAPES.values() if pointer == ""}
    on_disk = {p.name for p in MESSAGE_SCHEMAS.glob("*.json")} - {"_common.v1.json"}
    assert files == on_disk


@pytest.mark.parametrize("shape", list(SHAPES), ids=lambda t: t.__name__)
def test_the_typed_dict_has_the_schemas_properties(shape: Any) -> None:
    schema = _schema(*SHAPES[shape])
    assert schema.get("additionalProperties") is False, "a closed object: keys can be listed"
    assert set(shape.__annotations__) == set(schema["properties"])
    assert shape.__required_keys__ == frozenset(schema.get("required", ()))


@pytest.mark.parametrize("shape", list(SHAPES), ids=lambda t: t.__name__)
def test_a_constant_message_type_is_a_literal(shape: Any) -> None:
    schema = _schema(*SHAPES[shape])
    constant = schema["properties"].get("message_type", {}).get("const")
    if constant is not None:
        hint = get_type_hints(shape)["message_type"]
        assert hint.__args__ == (constant,)


def test_a_new_aggregation_state_has_every_required_key() -> None:
    header: payloads.PitcherGameHeader = {
        "run_id": "r1",
        "run_created_at": "2025-07-04T12:00:00Z",
        "game_id": "g1",
        "game_date": "2025-07-04",
        "pitcher_id": 1,
        "team": "NYY",
        "opponent": "BOS",
        "is_home": True,
        "deadline": "2025-07-04T12:10:00Z",
        "expected_systems": ["v1_baseline"],
        "line": None,
    }
    state = new_state(header)
    assert state["header"] == header and state["header"] is not header
    assert set(state) == AggregationState.__required_keys__
    assert AggregationState.__optional_keys__ == {"finalized_at"}
