"""Dead-letter records and the filters that pick them (``--since``, ``--filter``)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from strikeouts.cli.recovery import parse_since
from strikeouts.pipeline.dead_letters import DeadLetterFilter, DeadLetterRecord, parse_filters

AT = dt.datetime(2025, 6, 10, 12, 0, tzinfo=dt.UTC)


def record(message: dict[str, object], **kw: object) -> DeadLetterRecord:
    base: dict[str, object] = {
        "message_id": "7",
        "topic": "system-predictions",
        "handler": "ensemble",
        "reason": "StateConflict: state run-1/G1/5 is no longer at version 3",
        "attempts": 5,
        "dead_lettered_at": AT,
        "payload": json.dumps(message).encode(),
    }
    base.update(kw)
    return DeadLetterRecord(**base)  # type: ignore[arg-type]


RESULT = {
    "header": {"run_id": "run-1", "game_id": "G1", "pitcher_id": 5},
    "system_id": "v1_baseline",
}


def test_labels_come_from_attributes_first_then_the_payload_header() -> None:
    letter = record(RESULT, attributes={"run_id": "from-attr"})
    assert letter.labels() == {
        "run_id": "from-attr",
        "game_id": "G1",
        "pitcher_id": "5",
        "system_id": "v1_baseline",
    }
    assert record({"oops": 1}, payload=b"\xff not json").labels() == {}


@pytest.mark.parametrize(
    ("equals", "since", "matches"),
    [
        ({}, None, True),
        ({"handler": "ensemble", "system_id": "v1_baseline"}, None, True),
        ({"handler": "fanout"}, None, False),
        ({"reason": "StateConflict"}, None, True),  # a substring of the reason
        ({"reason": "Timeout"}, None, False),
        ({"pitcher_id": "5"}, AT - dt.timedelta(hours=1), True),
        ({}, AT + dt.timedelta(seconds=1), False),
    ],
)
def test_a_filter_matches_on_every_condition(
    equals: dict[str, str], since: dt.datetime | None, matches: bool
) -> None:
    assert DeadLetterFilter(since, equals).matches(record(RESULT)) is matches


@pytest.mark.parametrize(
    ("items", "named"),
    [
        (["handler"], "'handler'"),
        (["colour=red"], "unknown field 'colour'"),
        (["topic="], "'topic='"),
    ],
)
def test_a_bad_filter_is_named(items: list[str], named: str) -> None:
    with pytest.raises(ValueError, match=named):
        parse_filters(items)


def test_since_takes_iso_times_and_spans() -> None:
    now = dt.datetime(2025, 6, 10, 12, 0, tzinfo=dt.UTC)
    assert parse_since("24h", now) == now - dt.timedelta(hours=24)
    assert parse_since("30m", now) == now - dt.timedelta(minutes=30)
    assert parse_since("2025-06-09", now) == dt.datetime(2025, 6, 9, tzinfo=dt.UTC)
    assert parse_since(None) is None
    with pytest.raises(ValueError, match="'yesterday'"):
        parse_since("yesterday")
