"""The local stand-in for Cloud Scheduler's ``ensemble-ticks`` job: publish a tick every N s.

Run as ``python -m strikeouts.devstack.ticker --interval 60`` (``stack up`` starts it in its own
process group); configuration comes from the environment like a function's.
"""

from __future__ import annotations

import argparse
import time

from strikeouts.cloud.publish import publish_tick
from strikeouts.cloud.pubsub import PubSubPublisher
from strikeouts.pipeline.clock import SystemClock
from strikeouts.settings import get_settings


def main(argv: list[str] | None = None) -> None:
    """Publish ticks forever (until the process group is stopped)."""
    parser = argparse.ArgumentParser(prog="strikeouts-ticker")
    parser.add_argument("--interval", type=float, default=60.0)
    args = parser.parse_args(argv)
    if args.interval <= 0:
        raise SystemExit(f"--interval={args.interval} must be > 0")
    publisher = PubSubPublisher.from_settings(get_settings())
    clock = SystemClock()
    while True:
        publish_tick(publisher, clock.now())
        print(f"tick published at {clock.now().isoformat()}", flush=True)
        time.sleep(args.interval)


if __name__ == "__main__":
    main()
