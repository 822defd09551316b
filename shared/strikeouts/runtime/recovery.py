"""Recovery of what the pipeline gave up on: embedded redrives of dead letters, and corrected
payloads of rejected messages checked (then delivered embedded here, or published by the CLI).

Invariants: a corrected payload is validated against its message schema before it goes
anywhere, and it goes to the topic its message type belongs to, which must be the topic the
rejected one came from; a redrive marks dead letters redriven only after their messages were
delivered and the rows made durable.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import pandas as pd

from strikeouts.adapters import open_warehouse
from strikeouts.names import REJECTED_MESSAGES
from strikeouts.pipeline.bus import TOPIC_KINDS
from strikeouts.pipeline.dead_letters import DeadLetterFilter, DeadLetterRecord
from strikeouts.pipeline.errors import InvalidMessage
from strikeouts.pipeline.messages import encode, validate
from strikeouts.runtime.dead_letters import WarehouseDeadLetters
from strikeouts.runtime.runner import Runner, Settled, serving_predictors, state_path
from strikeouts.settings import Settings

TOPIC_OF_KIND = {kind: topic for topic, kind in TOPIC_KINDS.items()}


def rejected(settings: Settings, since: dt.datetime | None, handler: str | None) -> pd.DataFrame:
    """Rows of ``rejected_messages`` received since ``since`` (of ``handler``), newest first."""
    store = open_warehouse(settings)
    try:
        store.ensure_tables([REJECTED_MESSAGES])
        frame = store.query(f"SELECT * FROM {REJECTED_MESSAGES} ORDER BY received_at DESC, handler")
    finally:
        store.close()
    if since is not None:
        frame = frame[pd.to_datetime(frame["received_at"], utc=True) >= pd.Timestamp(since)]
    if handler is not None:
        frame = frame[frame["handler"] == handler]
    return frame.reset_index(drop=True)


def corrected_message(original: Mapping[str, Any], message: dict[str, Any]) -> tuple[str, bytes]:
    """(topic, bytes) of a corrected payload; InvalidMessage naming the field that is wrong."""
    kind = message.get("message_type")
    if kind not in TOPIC_OF_KIND:
        raise InvalidMessage(
            f"$.message_type={kind!r} is not one of {', '.join(sorted(TOPIC_OF_KIND))}"
        )
    topic = TOPIC_OF_KIND[kind]
    was = original.get("topic")
    if was and was != topic:
        raise InvalidMessage(
            f"$.message_type={kind!r} belongs on {topic!r}, but the rejected message came "
            f"from {was!r}"
        )
    validate(kind, message)
    return topic, encode(kind, message)


def find_rejection(settings: Settings, sha: str) -> dict[str, Any]:
    """The one rejection whose payload hash starts with ``sha``; ValueError otherwise."""
    frame = rejected(settings, None, None)
    found = frame[frame["payload_sha256"].str.startswith(sha.lower())]
    if found.empty:
        raise ValueError(f"--sha {sha!r}: no rejected message has that payload hash")
    if found["payload_sha256"].nunique() > 1:
        raise ValueError(f"--sha {sha!r} matches {found['payload_sha256'].nunique()} payloads")
    return {str(k): v for k, v in found.iloc[0].to_dict().items()}


def corrected_for(
    settings: Settings, sha: str, message: dict[str, Any]
) -> tuple[str, bytes, dict[str, str]]:
    """(topic, bytes, attributes) of a corrected payload of rejection ``sha``, validated."""
    original = find_rejection(settings, sha)
    topic, data = corrected_message(original, message)
    return topic, data, {"replay_of": str(original["payload_sha256"])}


def deliver_embedded(settings: Settings, messages: list[tuple[str, bytes, dict[str, str]]]) -> str:
    """Run ``messages`` through the embedded pipeline; what it did, in a line."""
    with embedded_runner(settings) as runner:
        return describe(runner.deliver(messages))


def pending_embedded(settings: Settings, where: DeadLetterFilter) -> list[DeadLetterRecord]:
    """The embedded dead letters not yet redriven that match ``where``."""
    store = open_warehouse(settings)
    try:
        return WarehouseDeadLetters(store).pending(where)
    finally:
        store.close()


def redrive_embedded(
    settings: Settings, where: DeadLetterFilter, *, dry_run: bool
) -> tuple[list[DeadLetterRecord], str]:
    """Redeliver the matching dead letters of the ``dead_letters`` table; (them, an effect)."""
    if dry_run:
        return pending_embedded(settings, where), ""
    with embedded_runner(settings) as runner:
        records = runner.dead_letters.pending(where)
        if not records:
            return [], ""
        settled = runner.deliver([(r.topic, r.payload, dict(r.attributes)) for r in records])
        # after the rows are durable; one that failed again is a new dead letter, pending
        runner.dead_letters.mark_redriven(records, runner.clock.now())
    return records, f": {describe(settled)}"


def describe(settled: Settled) -> str:
    """What a delivery did, in a line."""
    return (
        f"{settled.written} new rows ({settled.restored} restored), {settled.present} already "
        f"present, {settled.rejected} rejected, {settled.dead_letters} dead-lettered again"
    )


@contextmanager
def embedded_runner(settings: Settings) -> Iterator[Runner]:
    """An embedded runner on the settings' warehouse with the stored champions (closed after)."""
    from strikeouts.adapters import open_model_store

    predictors = serving_predictors(open_model_store(settings))
    store = open_warehouse(settings)
    try:
        yield Runner(store, predictors, state_path(settings.state_dir))
    finally:
        store.close()
