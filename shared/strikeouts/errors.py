"""The one base of every error the project raises on purpose, and the exit code it carries.

Invariant: every exception class of the package derives from :class:`StrikeoutsError`
(directly or through its package's base), so the command line's one boundary
(``strikeouts.cli.app``) turns any of them into one red line and the class's exit code:
2 when the command could not do what it was asked (a bad argument, file or value, a backend
that is not there), 1 when it ran and a check failed.
"""

from __future__ import annotations

from typing import ClassVar

BAD_INPUT = 2
CHECK_FAILED = 1


class StrikeoutsError(Exception):
    """An error an operator can act on; ``exit_code`` is what the CLI exits with."""

    exit_code: ClassVar[int] = BAD_INPUT


class BadInput(StrikeoutsError, ValueError):
    """A command-line value the command cannot use (named in the message)."""


class CheckFailed(StrikeoutsError):
    """The command ran and found something wrong (a check, a wait that came up short)."""

    exit_code: ClassVar[int] = CHECK_FAILED
