"""The two kinds of handler failure: permanent (acknowledge and record) and transient (retry).

Every exception a handler raises that is not a :class:`PermanentError` is treated as
transient: the transport redelivers it until the attempts run out, then dead-letters it.
"""

from __future__ import annotations

from strikeouts.errors import StrikeoutsError


class PermanentError(StrikeoutsError):
    """Input that will never succeed (bad JSON, schema-invalid, unknown system ...)."""


class InvalidMessage(PermanentError):
    """A payload that is not a valid message of the expected kind."""


class UnknownSystem(PermanentError):
    """A result from a system the pitcher-game did not expect."""


class TransientError(StrikeoutsError):
    """A failure worth retrying (a busy store, a lost race, an unreachable service)."""


class StateConflict(TransientError):
    """A compare-and-set on aggregation state lost to a concurrent writer."""
