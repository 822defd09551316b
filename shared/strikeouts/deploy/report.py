"""The outcome of a validation: one named pass/fail per check with a one-line detail.

Invariant: a validation fails exactly when one of its checks failed, and the failure names
every failed check; the text and JSON forms carry the same facts.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Outcome:
    """One check's verdict."""

    check: str
    passed: bool
    detail: str


def failed(outcomes: Sequence[Outcome]) -> list[str]:
    """Names of the failed checks, in check order."""
    return [o.check for o in outcomes if not o.passed]


def as_text(outcomes: Sequence[Outcome], backend: str) -> str:
    """One line per check, then the verdict naming the failed checks."""
    width = max((len(o.check) for o in outcomes), default=0)
    lines = [f"{'PASS' if o.passed else 'FAIL'}  {o.check:<{width}}  {o.detail}" for o in outcomes]
    bad = failed(outcomes)
    verdict = f"FAILED ({backend}): {', '.join(bad)}" if bad else f"all checks passed ({backend})"
    return "\n".join([*lines, verdict])


def as_json(outcomes: Sequence[Outcome], backend: str) -> str:
    """The same facts as :func:`as_text`, for machines (Cloud Build logs, alerts)."""
    bad = failed(outcomes)
    document = {
        "backend": backend,
        "passed": not bad,
        "failed": bad,
        "checks": [asdict(o) for o in outcomes],
    }
    return json.dumps(document, indent=2)
