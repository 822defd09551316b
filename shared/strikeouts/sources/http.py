"""One JSON-over-HTTP client for every live source: timeouts, bounded retries, clear errors.

Invariant: a call either returns parsed JSON or raises exactly one of two errors, each naming
the source and the URL with any secret removed: :class:`SourceDown` when the source stayed
unreachable (timeouts, 429, 5xx) after the retries and the total time budget, and
:class:`SourceDataError` when it answered something that is not what we asked for (4xx other
than 429, a body that is not JSON). Retries wait exponentially with full jitter, never less
than a ``Retry-After`` the server asked for, and never past the total budget.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    stop_after_delay,
    wait_random_exponential,
)

from strikeouts.errors import StrikeoutsError
from strikeouts.logs import get_logger

log = get_logger(__name__)

RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
SECRET_PARAMS = frozenset({"apiKey", "api_key", "key"})


class SourceError(StrikeoutsError, RuntimeError):
    """A live source failed; the message names the source, the URL and what happened."""

    def __init__(self, source: str, url: str, detail: str) -> None:
        super().__init__(f"{source}: {detail} ({url})")
        self.source = source
        self.url = url
        self.detail = detail


class SourceDown(SourceError):
    """The source stayed unreachable or overloaded after every retry."""


class SourceDataError(SourceError):
    """The source answered, but not with the data asked for (bad status, not JSON)."""


class _Transient(StrikeoutsError):
    """A failure worth another attempt; carries the server's Retry-After, if any."""

    def __init__(self, detail: str, retry_after: float | None = None) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


@dataclass(frozen=True)
class RetryPolicy:
    """How hard a client tries before declaring the source down."""

    timeout_seconds: float = 10.0
    attempts: int = 5
    total_seconds: float = 60.0
    backoff_initial_seconds: float = 0.5
    backoff_max_seconds: float = 8.0


@dataclass(frozen=True)
class Response:
    """A parsed JSON answer with the headers a caller may need (quota counters)."""

    url: str
    data: Any
    headers: Mapping[str, str] = field(default_factory=dict)


def redact(url: httpx.URL | str) -> str:
    """``url`` with every secret query parameter's value replaced, safe to log and store."""
    parsed = httpx.URL(str(url))
    params = [(k, "***" if k in SECRET_PARAMS else v) for k, v in parsed.params.multi_items()]
    return str(parsed.copy_with(params=params))


class JsonClient:
    """GET JSON from one base URL under a :class:`RetryPolicy`."""

    def __init__(
        self,
        source: str,
        base_url: str,
        policy: RetryPolicy | None = None,
        *,
        default_params: Mapping[str, str] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.source = source
        self.policy = policy or RetryPolicy()
        self.default_params = dict(default_params or {})
        self._sleep = sleep
        self.client = httpx.Client(
            base_url=base_url.rstrip("/"),
            timeout=httpx.Timeout(self.policy.timeout_seconds),
            headers={"Accept": "application/json", "User-Agent": "strikeouts/0.1"},
        )

    def get(self, path: str, params: Mapping[str, str | int] | None = None) -> Response:
        """The JSON at ``path``; raises :class:`SourceDown` or :class:`SourceDataError`."""
        query = {**self.default_params, **{k: str(v) for k, v in (params or {}).items()}}
        request = self.client.build_request("GET", path, params=query)
        url = redact(request.url)
        retrying = Retrying(
            retry=retry_if_exception_type(_Transient),
            stop=stop_after_attempt(self.policy.attempts)
            | stop_after_delay(self.policy.total_seconds),
            wait=self._wait,
            sleep=self._sleep,
            reraise=True,
        )
        try:
            return retrying(self._attempt, request, url)
        except _Transient as exc:
            raise SourceDown(self.source, url, f"still failing after retries: {exc}") from None

    def close(self) -> None:
        """Close the connection pool."""
        self.client.close()

    def _wait(self, state: RetryCallState) -> float:
        """Full-jitter exponential backoff, at least the Retry-After, within the budget."""
        backoff = wait_random_exponential(
            multiplier=self.policy.backoff_initial_seconds, max=self.policy.backoff_max_seconds
        )(state)
        exc = state.outcome.exception() if state.outcome else None
        asked = exc.retry_after if isinstance(exc, _Transient) and exc.retry_after else 0.0
        left = self.policy.total_seconds - (state.seconds_since_start or 0.0)
        return max(0.0, min(max(backoff, asked), left))

    def _attempt(self, request: httpx.Request, url: str) -> Response:
        try:
            answer = self.client.send(request)
        except httpx.TimeoutException as exc:
            log.warning("source timeout", source=self.source, url=url)
            raise _Transient(f"timeout ({type(exc).__name__})") from None
        except httpx.TransportError as exc:
            log.warning("source unreachable", source=self.source, url=url)
            raise _Transient(f"unreachable ({type(exc).__name__}: {exc})") from None
        if answer.status_code in RETRYABLE_STATUS:
            log.warning(
                "source retryable status", source=self.source, url=url, status=answer.status_code
            )
            raise _Transient(f"HTTP {answer.status_code}", _retry_after(answer))
        if answer.status_code >= 400:
            raise SourceDataError(
                self.source, url, f"HTTP {answer.status_code}: {answer.text[:200]!r}"
            )
        try:
            data = answer.json()
        except ValueError as exc:
            raise SourceDataError(
                self.source, url, f"malformed JSON ({exc}): {answer.text[:200]!r}"
            ) from None
        return Response(url=url, data=data, headers=dict(answer.headers))


def _retry_after(answer: httpx.Response) -> float | None:
    """Seconds from a ``Retry-After`` header given in seconds (HTTP dates are ignored)."""
    value = answer.headers.get("retry-after")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None
