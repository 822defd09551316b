"""The typer application every command module registers on, and its one error boundary.

Invariant: whatever a command raises ends as one red line on stderr, never a traceback
(unless ``-v``): a :class:`~strikeouts.errors.StrikeoutsError` exits with its class's code
(2 bad input, 1 a failed check), a file or socket error exits 2, anything else is a bug and
exits 1 naming its type. An old spelling of a command or option is answered with one line
naming the new one (exit 2) before anything runs.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from typing import Annotated, Any

import typer
from rich.console import Console
from typer.core import TyperGroup

from strikeouts.cli.renamed import check_renamed
from strikeouts.errors import BAD_INPUT, CHECK_FAILED, StrikeoutsError

VERBOSE = ("-v", "--verbose")


class Boundary(TyperGroup):
    """The root group: old spellings answered first, then every error as one red line."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # typer's vendored click
        check_renamed(args)
        return super().parse_args(ctx, args)

    def main(self, args: Sequence[str] | None = None, *rest: Any, **extra: Any) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        try:
            return super().main(argv, *rest, **extra)
        except Exception as exc:  # SystemExit (click's own exits) is not an Exception
            if _verbose(argv):
                raise
            code, message = describe(exc)
            Console(stderr=True).print(
                f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True
            )
            sys.exit(code)


def describe(exc: Exception) -> tuple[int, str]:
    """The exit code and the one line an error is shown as."""
    text = str(exc) or type(exc).__name__
    if len(text) > 400 or "\n" in text:
        text = text.strip().splitlines()[0]
    if isinstance(exc, StrikeoutsError):
        return exc.exit_code, text
    if isinstance(exc, OSError):  # a file named on the command line, a refused connection
        return BAD_INPUT, f"{type(exc).__name__}: {text}"
    return CHECK_FAILED, f"unexpected {type(exc).__name__}: {text} (a bug: -v shows the traceback)"


def _verbose(argv: list[str]) -> bool:
    """``-v`` given before the command name."""
    for token in argv:
        if not token.startswith("-"):
            return False
        if token in VERBOSE:
            return True
    return False


app = typer.Typer(
    name="strikeouts",
    cls=Boundary,
    help="MLB pitcher-strikeout predictions: ingest, train, backtest, run and replay.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
)


@app.callback()
def _root(
    verbose: Annotated[
        bool,
        typer.Option(*VERBOSE, help="Show the log (on stderr) and the traceback of an error"),
    ] = False,
) -> None:
    """MLB pitcher-strikeout predictions: ingest, train, backtest, run and replay."""
    # the log level is set by main() before typer runs (configure_logging), so that a test
    # invoking the app does not reconfigure the process's logging


def configure_logging(argv: Sequence[str]) -> None:
    """Warnings and errors only (on stderr), everything with ``-v``: the slate owns stdout."""
    from strikeouts.logs import configure
    from strikeouts.settings import get_settings

    configure(get_settings().log_format, logging.DEBUG if _verbose(list(argv)) else logging.WARNING)
