"""``strikeouts dead-letters list|redrive`` and ``strikeouts rejections list|replay``: put what
the pipeline gave up on back to work after a fix.

Invariants: listing changes nothing; a redrive or a replay republishes to the message's own
topic and relies on the writes being idempotent on their keys (redriving something that got
through in the end writes nothing new); a corrected payload is validated against its message
schema before anything is published. Bad arguments print one red line and exit 2.

``--backend embedded`` (the default) works on the warehouse's ``dead_letters`` and
``rejected_messages`` tables and the in-process pipeline; ``--backend stack`` on the local
stack ``stack up`` recorded and ``--backend cloud`` on the Google Cloud project of the settings
(Pub/Sub's dead-letter subscription, BigQuery's ``rejected_messages``).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from strikeouts.cli.app import app
from strikeouts.cli.options import (
    AnyBackend,
    Backend,
    Format,
    FormatOpt,
    ModelStoreOpt,
    WarehouseOpt,
    backend_settings,
    fail,
    wide,
)
from strikeouts.jsonfile import read_json_object
from strikeouts.pipeline.dead_letters import DeadLetterFilter, DeadLetterRecord, parse_filters
from strikeouts.pipeline.errors import PermanentError
from strikeouts.settings import Settings

dead_app = typer.Typer(help="Dead letters: list them with their reasons; redrive them after a fix.")
rejections_app = typer.Typer(help="Rejected messages: list them; replay a corrected payload.")
app.add_typer(dead_app, name="dead-letters")
app.add_typer(rejections_app, name="rejections")

# what an operator can act on (bad option, missing table or model, stack down, bad payload);
# anything else is a bug and keeps its traceback
EXPECTED = (ValueError, LookupError, OSError, RuntimeError, PermanentError)
_RELATIVE = re.compile(r"^(\d+)([mhd])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}

SinceOpt = Annotated[
    str | None,
    typer.Option(help="Only since this time: ISO date/time (UTC) or a span such as 24h, 30m, 7d"),
]
FilterOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--filter",
        help="FIELD=VALUE (handler, topic, run_id, game_id, pitcher_id, system_id; "
        "reason=TEXT matches a substring); repeat to combine",
    ),
]


def parse_since(text: str | None, now: dt.datetime | None = None) -> dt.datetime | None:
    """``--since``: an ISO date/time (UTC when naive) or ``N[mhd]`` before now."""
    if text is None:
        return None
    span = _RELATIVE.match(text.strip())
    if span:
        delta = dt.timedelta(**{_UNITS[span.group(2)]: int(span.group(1))})
        return (now or dt.datetime.now(dt.UTC)) - delta
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"--since {text!r} is neither an ISO date/time nor a span like 24h"
        ) from None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def _filter(since: str | None, filters: list[str] | None) -> DeadLetterFilter:
    return DeadLetterFilter(since=parse_since(since), equals=parse_filters(filters or []))


@dead_app.command("list")
def dead_letters_list(
    since: SinceOpt = None,
    filters: FilterOpt = None,
    backend: AnyBackend = Backend.embedded,
    output: FormatOpt = Format.table,
    warehouse: WarehouseOpt = None,
) -> None:
    """Show the pending dead letters with their reasons (nothing is consumed)."""
    console = Console()
    try:
        where = _filter(since, filters)
        settings = backend_settings(backend, warehouse=warehouse)
        if backend is not Backend.embedded:
            from strikeouts.cloud.dead_letters import PubSubDeadLetters

            records = PubSubDeadLetters(settings).pending(where)
        else:
            from strikeouts.runtime.recovery import pending_embedded

            records = pending_embedded(settings, where)
    except EXPECTED as exc:
        raise fail(console, _message(exc)) from None
    _print_dead_letters(console, records, output)


@dead_app.command("redrive")
def dead_letters_redrive(
    since: SinceOpt = None,
    filters: FilterOpt = None,
    backend: AnyBackend = Backend.embedded,
    dry_run: Annotated[bool, typer.Option(help="Only show what would be redriven")] = False,
    warehouse: WarehouseOpt = None,
    model_store: ModelStoreOpt = None,
) -> None:
    """Republish the chosen dead letters to their source topics (idempotent writes)."""
    console = Console()
    try:
        where = _filter(since, filters)
        settings = backend_settings(backend, warehouse=warehouse, model_store=model_store)
        if backend is not Backend.embedded:
            records = _cloud_redrive(settings, where, dry_run)
            effect = "" if dry_run else f" (the {backend}'s functions take it from here)"
        else:
            from strikeouts.runtime.recovery import redrive_embedded

            records, effect = redrive_embedded(settings, where, dry_run=dry_run)
    except EXPECTED as exc:
        raise fail(console, _message(exc)) from None
    verb = "would redrive" if dry_run else "redrove"
    console.print(f"{verb} {len(records)} dead letter(s){effect}", highlight=False)
    _print_dead_letters(console, records, "table")


@rejections_app.command("list")
def rejections_list(
    since: SinceOpt = None,
    handler: Annotated[str | None, typer.Option(help="Only this handler")] = None,
    backend: AnyBackend = Backend.embedded,
    output: FormatOpt = Format.table,
    warehouse: WarehouseOpt = None,
) -> None:
    """Show rejected messages: handler, topic, reason and the payload's start."""
    from strikeouts.runtime.recovery import rejected

    console = Console()
    try:
        settings = backend_settings(backend, warehouse=warehouse)
        frame = rejected(settings, parse_since(since), handler)
    except EXPECTED as exc:
        raise fail(console, _message(exc)) from None
    if output == "json":
        print(frame.to_json(orient="records", date_format="iso"))
        return
    table = Table(title=f"{len(frame)} rejected message(s)")
    for column in ("received_at", "handler", "topic", "sha256", "reason", "payload"):
        table.add_column(column, overflow="fold")
    for row in frame.to_dict("records"):
        table.add_row(
            str(row["received_at"])[:19],
            str(row["handler"]),
            str(row["topic"] or ""),
            str(row["payload_sha256"])[:12],
            str(row["reason"])[:160],
            str(row["raw_payload"])[:60],
        )
    wide(console).print(table)


@rejections_app.command("replay")
def rejections_replay(
    sha: Annotated[
        str, typer.Option("--sha", help="payload_sha256 (or a unique prefix) of the rejection")
    ],
    payload: Annotated[Path, typer.Option("--payload", help="The corrected message (JSON file)")],
    backend: AnyBackend = Backend.embedded,
    warehouse: WarehouseOpt = None,
    model_store: ModelStoreOpt = None,
) -> None:
    """Validate a corrected payload of a rejected message and send it through the pipeline."""
    from strikeouts.runtime.recovery import corrected_for, deliver_embedded

    console = Console()
    try:
        settings = backend_settings(backend, warehouse=warehouse, model_store=model_store)
        cloud = backend is not Backend.embedded
        message = read_json_object(payload, "--payload", "a message (a JSON object)")
        topic, data, attributes = corrected_for(settings, sha, message)
        kind = message["message_type"]
        if cloud:
            message_id = _publish(settings, topic, data, attributes)
            outcome = f"published the corrected {kind} to {topic} (message {message_id})"
        else:
            done = deliver_embedded(settings, [(topic, data, attributes)])
            outcome = f"delivered the corrected {kind} on {topic}: {done}"
    except EXPECTED as exc:
        raise fail(console, _message(exc)) from None
    console.print(outcome, highlight=False)


def _publish(settings: Settings, topic: str, data: bytes, attributes: dict[str, str]) -> str:
    from strikeouts.cloud.pubsub import PubSubPublisher

    publisher = PubSubPublisher.from_settings(settings)
    publisher.publish_raw(topic, data, attributes)
    return publisher.flush()[0]


def _cloud_redrive(
    settings: Settings, where: DeadLetterFilter, dry_run: bool
) -> list[DeadLetterRecord]:
    from strikeouts.cloud.dead_letters import PubSubDeadLetters
    from strikeouts.cloud.pubsub import PubSubPublisher

    return PubSubDeadLetters(settings).redrive(
        where, PubSubPublisher.from_settings(settings), dry_run=dry_run
    )


def _print_dead_letters(console: Console, records: list[DeadLetterRecord], output: str) -> None:
    if output == "json":
        print(json.dumps([_as_json(r) for r in records], indent=2, default=str))
        return
    table = Table(title=f"{len(records)} dead letter(s)")
    for column in ("dead-lettered", "handler", "topic", "labels", "attempts", "reason"):
        table.add_column(column, overflow="fold")
    for r in records:
        labels = " ".join(f"{k}={v}" for k, v in r.labels().items())
        when = "" if r.dead_lettered_at is None else r.dead_lettered_at.isoformat()[:19]
        table.add_row(when, r.handler, r.topic, labels, str(r.attempts), r.reason[:200])
    wide(console).print(table)


def _as_json(record: DeadLetterRecord) -> dict[str, Any]:
    return {
        "message_id": record.message_id,
        "topic": record.topic,
        "handler": record.handler,
        "reason": record.reason,
        "attempts": record.attempts,
        "dead_lettered_at": record.dead_lettered_at,
        "labels": record.labels(),
        "payload": record.payload.decode(errors="replace"),
    }


def _message(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0] if len(text) > 400 else text
