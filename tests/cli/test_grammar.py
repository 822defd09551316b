"""One grammar for every command: the shared options have one name, one set of choices and
one default rule everywhere (read from each command's ``--help`` and its parameters), and the
old spellings are answered with one line naming the new one."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import typer
from typer.core import TyperGroup, TyperOption
from typer.testing import CliRunner

from strikeouts.cli import app
from strikeouts.cli.options import BACKEND_RULE, Backend, Format

ROOT = typer.main.get_command(app)
LOCALITY = [b.value for b in Backend]  # most local first


def _commands(
    group: typer.core.TyperCommand, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], typer.core.TyperCommand]]:
    if isinstance(group, TyperGroup):
        for name, command in sorted(group.commands.items()):
            yield from _commands(command, (*path, name))
    else:
        yield path, group


COMMANDS = dict(_commands(ROOT))


def _options(name: str) -> list[tuple[tuple[str, ...], TyperOption]]:
    return [
        (path, p)
        for path, command in COMMANDS.items()
        for p in command.params
        if isinstance(p, TyperOption) and name in p.opts
    ]


def _choices(option: TyperOption) -> list[str]:
    """The values the option's type accepts (an Enum: the choices ``--help`` lists)."""
    annotation = option.type_descriptor.annotation
    return [member.value for member in annotation] if isinstance(annotation, type) else []


def _help(path: tuple[str, ...]) -> str:
    result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "400"})
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split())


def test_every_command_has_a_help_page_naming_its_shared_options() -> None:
    assert len(COMMANDS) >= 30
    for path, command in COMMANDS.items():
        text = _help(path)
        for p in command.params:
            if isinstance(p, TyperOption) and p.opts[0] in ("--backend", "--format"):
                assert p.opts[0] in text, (path, text)
                assert f"[default: {p.default}]" in text, (path, p.opts[0], text)


def test_backend_is_one_option_with_one_default_rule() -> None:
    found = _options("--backend")
    commands = {" ".join(path) for path, _ in found}
    assert {"export-predictions", "dead-letters list", "deploy validate", "schedule"} <= commands
    for path, option in found:
        assert option.opts == ["--backend"], path
        assert _choices(option) == LOCALITY, path
        help_text = option.help or ""
        assert BACKEND_RULE in help_text, path
        acts_on = re.search(r"Acts on: ([a-z, ]+) \(", help_text)
        assert acts_on, (path, help_text)
        supported = acts_on.group(1).split(", ")
        assert supported == sorted(supported, key=LOCALITY.index), path
        assert option.default == supported[0], (path, option.default, supported)


def test_format_is_one_option_table_or_json_default_table() -> None:
    found = _options("--format")
    commands = {" ".join(path) for path, _ in found}
    assert {"monitor", "predict", "deploy validate", "stack status", "rejections list"} <= commands
    for path, option in found:
        assert _choices(option) == [f.value for f in Format], path
        assert option.default == Format.table, path
        assert option.help == found[0][1].help, path


@pytest.mark.parametrize(
    "name", ["--warehouse", "--model-store", "--data-dir", "--terraform-output", "--run-id"]
)
def test_path_options_read_the_same_everywhere(name: str) -> None:
    found = _options(name)
    assert found, name
    for path, option in found:
        assert option.opts == [name], (path, option.opts)
        assert option.default is None, path
    if name in ("--warehouse", "--model-store", "--terraform-output"):
        assert len({option.help for _, option in found}) == 1, name


def test_old_spellings_are_gone_from_the_help() -> None:
    assert ("publish-schedule",) not in COMMANDS
    for path, command in COMMANDS.items():
        for p in command.params:
            assert not {"--json", "--sources", "--publish"} & set(p.opts), (path, p.opts)


@pytest.mark.parametrize(
    "args",
    [
        ["export-predictions", "--out", "x.csv", "--backend", "stack"],
        ["dead-letters", "list", "--backend", "embedded"],
        ["deploy", "validate", "--date", "2025-07-04", "--backend", "stack"],
        ["schedule", "--date", "2025-07-04", "--backend", "cloud"],
    ],
)
def test_the_new_spellings_parse(args: list[str]) -> None:
    """Parsed as the command line would be (nothing runs)."""
    (*path,) = [a for a in args if not a.startswith("-")][
        : 2 if args[0] in ("dead-letters", "deploy") else 1
    ]
    command = COMMANDS[tuple(path)]
    ctx = command.make_context(" ".join(path), args[len(path) :])
    assert ctx.params["backend"] == args[args.index("--backend") + 1]


@pytest.mark.parametrize(
    ("args", "new"),
    [
        (["export-predictions", "--out", "x.csv", "--backend", "duckdb"], "--backend embedded"),
        (["export-predictions", "--out", "x.csv", "--backend=bigquery"], "--backend stack"),
        (
            ["publish-schedule", "--date", "2025-07-04"],
            "strikeouts schedule --date D --backend stack",
        ),
        (["schedule", "--date", "2025-07-04", "--publish"], "--backend stack"),
        (["stack", "status", "--json"], "--format json"),
        (["deploy", "validate", "--date", "2025-07-04", "--format", "text"], "--format table"),
        (["deploy", "seed", "--sources", "tf.json"], "--terraform-output"),
    ],
)
def test_old_spellings_get_one_line_naming_the_new_one(args: list[str], new: str) -> None:
    result = CliRunner().invoke(app, args, env={"COLUMNS": "80"})
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and new in lines[0], result.output


@pytest.mark.parametrize(
    ("args", "acts_on"),
    [
        (["deploy", "validate", "--date", "2025-07-04", "--backend", "embedded"], "stack or cloud"),
        (["deploy", "canary", "--date", "2025-07-04", "--backend", "embedded"], "stack or cloud"),
    ],
)
def test_a_backend_the_command_does_not_act_on_is_one_red_line(
    args: list[str], acts_on: str
) -> None:
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    assert result.output.strip() == f"error: --backend embedded: this command acts on {acts_on}"
