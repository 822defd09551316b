"""The Clock port: every time the pipeline reads comes from here, so tests never sleep."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """A source of timezone-aware UTC time."""

    def now(self) -> datetime:
        """The current time (UTC, tz-aware)."""
        ...


class SystemClock:
    """The machine's clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FakeClock:
    """A clock that only moves when told to."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
        if self._now.tzinfo is None:
            raise ValueError(f"FakeClock start must be tz-aware, got {self._now!r}")

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float) -> datetime:
        """Move forward ``seconds`` and return the new time."""
        if seconds < 0:
            raise ValueError(f"FakeClock cannot go back: seconds={seconds}")
        self._now += timedelta(seconds=seconds)
        return self._now


def to_iso(moment: datetime) -> str:
    """ISO 8601 in UTC with a ``Z`` suffix, as the message schemas expect."""
    if moment.tzinfo is None:
        raise ValueError(f"timestamp must be tz-aware, got {moment!r}")
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def from_iso(text: str) -> datetime:
    """The tz-aware UTC datetime of an ISO 8601 string with an offset."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"timestamp {text!r} has no UTC offset")
    return moment.astimezone(UTC)
