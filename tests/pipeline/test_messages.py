"""Message contracts: the examples fanout and systems produce validate; bad input names field and value."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from strikeouts.pipeline.clock import FakeClock
from strikeouts.pipeline.errors import InvalidMessage
from strikeouts.pipeline.messages import decode, encode, validator

from .doubles import schedule_event


def test_validators_are_compiled_once() -> None:
    assert validator("pitcher-game") is validator("pitcher-game")


def test_fanout_output_round_trips(pitcher_game: dict[str, Any]) -> None:
    assert decode("pitcher-game", encode("pitcher-game", pitcher_game)) == pitcher_game
    assert pitcher_game["header"]["line"]["line"] == 5.5
    assert pitcher_game["feature_set_versions"] == {
        "v1_baseline": "fs-2024.1",
        "v1_6_rolling": "fs-2024.1",
    }


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (("header", "pitcher_id"), -3, "$.header.pitcher_id = -3"),
        (("header", "team"), "yankees", '$.header.team = "yankees"'),
        (("header", "line", "over_odds"), 50, "$.header.line.over_odds = 50"),
        (("features", "k_avg_last5"), "six", '$.features.k_avg_last5 = "six"'),
        (("feature_coverage", "v1_baseline"), 1.5, "$.feature_coverage.v1_baseline = 1.5"),
        (("header", "game_date"), "2024-02-30", "game_date = '2024-02-30' is not a date"),
    ],
)
def test_invalid_pitcher_game_names_field_and_value(
    pitcher_game: dict[str, Any], path: tuple[str, ...], value: object, expected: str
) -> None:
    bad = copy.deepcopy(pitcher_game)
    target = bad
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    with pytest.raises(InvalidMessage) as err:
        decode("pitcher-game", json.dumps(bad).encode())
    assert expected in str(err.value)


def test_size_bound_and_wrong_message_type(clock: FakeClock) -> None:
    event = schedule_event(clock)
    with pytest.raises(InvalidMessage, match="above the 1024-byte limit"):
        decode("game-schedule", b" " * 2000, max_bytes=1024)
    with pytest.raises(InvalidMessage, match="expected a pitcher-game message"):
        decode("pitcher-game", json.dumps(event))


def test_system_prediction_status_rules(pitcher_game: dict[str, Any]) -> None:
    message = {
        "schema_version": 1,
        "message_type": "system-prediction",
        "header": pitcher_game["header"],
        "system_id": "v1_baseline",
        "status": "ok",
        "predicted_strikeouts": None,
        "p_over": None,
        "confidence": 50,
        "red_flags": [],
        "produced_at": "2024-06-01T12:00:00Z",
    }
    with pytest.raises(InvalidMessage, match="predicted_strikeouts"):
        encode("system-prediction", message)
    message.update(status="error", confidence=None)
    with pytest.raises(InvalidMessage, match="reason"):
        encode("system-prediction", message)
    message["reason"] = "boom"
    encode("system-prediction", message)
