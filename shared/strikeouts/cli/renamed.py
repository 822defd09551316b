"""Old spellings of commands and options, each answered with one line naming the new one.

Invariant: an old spelling never runs anything: :func:`check_renamed` reads the raw arguments
before typer parses them and raises :class:`Renamed` (exit 2) naming the replacement. Listing
an old spelling here is the only way to retire one.
"""

from __future__ import annotations

from dataclasses import dataclass

from strikeouts.errors import BadInput


class Renamed(BadInput):
    """An old spelling; the message names the new one."""


@dataclass(frozen=True)
class Old:
    """``token`` (with ``value`` when given) under the command path ``command``."""

    command: tuple[str, ...]
    token: str
    new: str
    value: str | None = None


# command path prefix () = any command
OLD: tuple[Old, ...] = (
    Old(("publish-schedule",), "", "strikeouts schedule --date D --backend stack"),
    Old(("schedule",), "--publish", "--backend stack (or cloud): publishing is a backend"),
    Old((), "--backend", "--backend embedded", "duckdb"),
    Old(
        (),
        "--backend",
        "--backend stack (the local stack's BigQuery) or --backend cloud",
        "bigquery",
    ),
    Old((), "--format", "--format table", "text"),
    Old((), "--json", "--format json"),
    Old((), "--sources", "--terraform-output"),
)


def _path(args: list[str]) -> tuple[tuple[str, ...], list[str]]:
    """The leading command names, and the arguments after them."""
    words: list[str] = []
    for i, token in enumerate(args):
        if token.startswith("-"):
            if words:  # an option after the command: the rest are its arguments
                return tuple(words), args[i:]
            continue  # a root option such as -v
        words.append(token)
    return tuple(words), []


def _given(rest: list[str], token: str, value: str | None) -> bool:
    for i, arg in enumerate(rest):
        name, eq, inline = arg.partition("=")
        if name != token:
            continue
        if value is None:
            return True
        given = inline if eq else (rest[i + 1] if i + 1 < len(rest) else None)
        if given == value:
            return True
    return False


def check_renamed(args: list[str]) -> None:
    """Raise :class:`Renamed` when ``args`` use an old spelling."""
    path, rest = _path(args)
    for old in OLD:
        if path[: len(old.command)] != old.command:
            continue
        if not old.token:
            raise Renamed(f"`strikeouts {' '.join(old.command)}` is now `{old.new}`")
        if _given(rest, old.token, old.value):
            said = old.token if old.value is None else f"{old.token} {old.value}"
            raise Renamed(f"{said} is now {old.new}")
