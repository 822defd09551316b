"""Sampling profiles of the local stack's functions during a benchmark (``--profile DIR``).

One ``py-spy record`` per function process group (the functions-framework master and its
gunicorn worker, every thread, only while it holds the GIL: a thread waiting on a socket, a
lock or the GIL itself is not sampled, so the shares are of the CPU spent in Python), in
the raw collapsed-stack format, non-blocking so the functions are not paused. Afterwards the
top entries of each function are printed: by self time (the frame on top of the stack) and by
inclusive time (anywhere on the stack), as shares of that function's samples.

Invariant: every py-spy started here is stopped (SIGINT, then SIGKILL) by its own PID.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

RATE = 50
_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^()]*?)(?::\d+)?\)$")


def py_spy() -> str:
    """The py-spy executable next to this interpreter (pinned in pyproject's dev extras)."""
    exe = Path(sys.executable).parent / "py-spy"
    found = str(exe) if exe.exists() else shutil.which("py-spy")
    if found is None:
        raise SystemExit("--profile needs py-spy: pip install py-spy (pinned in pyproject.toml)")
    return found


@contextlib.contextmanager
def profiling(out: Path | None, pids: Mapping[str, int]) -> Iterator[None]:
    """Record each named process (and its subprocesses) into ``out/<name>.txt`` meanwhile."""
    if out is None:
        yield
        return
    out.mkdir(parents=True, exist_ok=True)
    exe = py_spy()
    spies = []
    for name, pid in pids.items():
        argv = [exe, "record", "--pid", str(pid), "--subprocesses", "--nonblocking", "--gil"]
        argv += ["--function"]
        argv += ["--rate", str(RATE), "--format", "raw", "--output", str(out / f"{name}.txt")]
        log = (out / f"{name}.py-spy.log").open("wb")
        spies.append((subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT), log))
    try:
        yield
    finally:
        for proc, _ in spies:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGINT)  # py-spy writes its output on SIGINT
        for proc, log in spies:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
            log.close()


@dataclass(frozen=True)
class Profile:
    """One function's samples: total, per frame on top (self) and per frame anywhere."""

    samples: int
    own: Counter[str]
    inclusive: Counter[str]


def frame_name(frame: str) -> str:
    """``handle (strikeouts/cloud/entry.py:120)`` → ``strikeouts/cloud/entry.py:handle``."""
    match = _FRAME.match(frame.strip())
    if match is None:
        return frame.strip()
    return f"{match['file']}:{match['func']}"


def read_profile(path: Path) -> Profile:
    """A py-spy raw file (``frame;frame;... count`` per line, outermost first)."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = [frame_name(f) for f in stack.split(";") if not f.startswith("process ")]
        if not frames:
            continue
        total += n
        own[frames[-1]] += n
        for frame in set(frames):
            inclusive[frame] += n
    return Profile(total, own, inclusive)


def print_profiles(out: Path, top: int = 15) -> None:
    """The top entries of every recorded function, by self and by inclusive samples."""
    for path in sorted(out.glob("*.txt")):
        profile = read_profile(path)
        if profile.samples == 0:
            continue
        print(f"\nprofile of {path.stem}: {profile.samples} samples at {RATE}/s")
        for title, counts in (("self", profile.own), ("inclusive", profile.inclusive)):
            print(f"  top {top} by {title} time:")
            for frame, n in counts.most_common(top):
                print(f"    {100 * n / profile.samples:5.1f}%  {frame}")


if __name__ == "__main__":
    print_profiles(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 15)
