"""The docs cannot rot: every ``strikeouts ...`` line in a code block of the README, docs/ and
benchmarks/README.md parses against the real command line (command names, options, choices,
dates), the examples that use the demo's champions are dated on or after ``DEMO_DATE``, and
the cheap ones run."""

from __future__ import annotations

import datetime as dt
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import pytest
import typer
from typer.core import TyperGroup
from typer.testing import CliRunner

from strikeouts.cli import app

ROOT = Path(__file__).resolve().parents[2]
DOCS = [
    ROOT / "README.md",
    *sorted((ROOT / "docs").glob("*.md")),
    ROOT / "benchmarks" / "README.md",
]
COMMAND = typer.main.get_command(app)
DEMO_DATE = dt.date.fromisoformat(
    re.search(r"^DEMO_DATE \?= (\S+)$", (ROOT / "Makefile").read_text(), re.M).group(1)  # type: ignore[union-attr]
)
# commands that predict with whatever champions the store holds (training missing ones)
USES_CHAMPIONS = {("run",), ("replay",), ("predict",), ("daily",), ("schedule",)}


@dataclass(frozen=True)
class Example:
    doc: str
    line: int
    args: tuple[str, ...]
    block_trains: bool

    def __str__(self) -> str:
        return f"{self.doc}:{self.line}: strikeouts {' '.join(self.args)}"


def _blocks(text: str) -> list[tuple[int, list[str]]]:
    """(first line number, lines) of every fenced or indented code block."""
    blocks: list[tuple[int, list[str]]] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        if lines[i].lstrip().startswith("```"):
            start, body = i + 2, []
            i += 1
            while i < len(lines) and not lines[i].lstrip().startswith("```"):
                body.append(lines[i])
                i += 1
            blocks.append((start, body))
        elif (
            lines[i].startswith("    ")
            and lines[i].strip()
            and (i == 0 or not lines[i - 1].strip())
        ):
            start, body = i + 1, []
            while i < len(lines) and (lines[i].startswith("    ") or not lines[i].strip()):
                body.append(lines[i].strip())
                i += 1
            blocks.append((start, body))
            continue
        i += 1
    return blocks


def _examples() -> list[Example]:
    found = []
    for doc in DOCS:
        for start, body in _blocks(doc.read_text()):
            joined = "\n".join(body).replace("\\\n", " ")
            trains = "--alias champion" in joined
            for offset, line in enumerate(joined.splitlines()):
                try:
                    words = shlex.split(line, comments=True)
                except ValueError:
                    continue
                segment: list[str] = []
                for word in [*words, "&&"]:
                    if word in ("&&", ";", "||", "|"):
                        if segment and segment[0] == "strikeouts":
                            rel = doc.relative_to(ROOT).as_posix()
                            found.append(Example(rel, start + offset, tuple(segment[1:]), trains))
                        segment = []
                    else:
                        segment.append(word)
    return found


EXAMPLES = _examples()


def _resolve(args: tuple[str, ...]) -> tuple[tuple[str, ...], typer.core.TyperCommand, list[str]]:
    command, path, rest = COMMAND, [], list(args)
    while rest and rest[0] in ("-v", "--verbose"):
        rest.pop(0)
    while isinstance(command, TyperGroup) and rest and not rest[0].startswith("-"):
        name = rest.pop(0)
        assert name in command.commands, f"no command {' '.join([*path, name])!r}"
        command, path = command.commands[name], [*path, name]
    return tuple(path), command, rest


def test_the_docs_hold_command_examples() -> None:
    assert len(EXAMPLES) >= 40
    assert {e.doc for e in EXAMPLES} >= {
        "README.md",
        "docs/GAMEDAY.md",
        "docs/OPERATIONS.md",
        "docs/DEPLOY.md",
    }


@pytest.mark.parametrize("example", EXAMPLES, ids=str)
def test_every_command_in_the_docs_parses(example: Example) -> None:
    path, command, rest = _resolve(example.args)
    if "--help" in rest or (not rest and isinstance(command, TyperGroup)):
        return
    ctx = command.make_context(" ".join(("strikeouts", *path)), rest)
    if path in USES_CHAMPIONS and not example.block_trains:
        for name in ("date", "start"):
            day = ctx.params.get(name)
            if isinstance(day, dt.date):
                assert day >= DEMO_DATE, f"{example}: before DEMO_DATE {DEMO_DATE}"


@pytest.mark.data
def test_the_cheap_examples_run(ingested: object, tmp_path: Path) -> None:
    """``--help`` pages and ``summary`` on the session's warehouse, as the docs write them."""
    path = ingested.path
    env = {
        "STRIKEOUTS_WAREHOUSE": str(path),
        "STRIKEOUTS_STATE_DIR": str(tmp_path),
        "COLUMNS": "200",
    }
    cheap = [e for e in EXAMPLES if e.args in (("summary",), ("--help",))]
    assert cheap
    for example in cheap:
        result = CliRunner().invoke(app, list(example.args), env=env)
        assert result.exit_code == 0, f"{example}\n{result.output}"
