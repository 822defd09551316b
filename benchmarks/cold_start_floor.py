"""The cold start a function cannot go below: a do-nothing function that only imports what a
real one must, against the do-nothing function itself (issue 20's goal: every function's cold
start <= 2x the do-nothing one's).

Usage: .venv/bin/python benchmarks/cold_start_floor.py [--runs 5]

Each case is served by functions-framework as the local stack serves its functions (a new
process, start to listening, then one push request POSTed to it), median of ``--runs``. The
imports are the libraries the deployed functions use: the Google Cloud clients (Cloud Storage
for models and state, Pub/Sub for publishing, BigQuery for rows), xgboost for the systems'
boosters, and the project's own function wiring. Bytecode is cached (as installed), and the
first run of each case is discarded so that it is read, not compiled.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests

from strikeouts.devstack.emulators.process import HOST, free_port, start_server
from strikeouts.devstack.push import push_body, push_headers

sys.path.insert(0, str(Path(__file__).parent))
from stack_probes import noop_argv  # the do-nothing function, served as stack_replay serves it

CASES = {
    "do-nothing": "",
    "+ google.cloud.storage": "google.cloud.storage",
    "+ google.cloud.pubsub_v1": "google.cloud.pubsub_v1",
    "+ google.cloud.bigquery": "google.cloud.bigquery",
    "+ xgboost": "xgboost",
    "+ strikeouts.cloud.functions": "strikeouts.cloud.functions",
    "a system function's imports": "strikeouts.cloud.functions,google.cloud.storage,"
    "google.cloud.pubsub_v1,xgboost",
    "the ensemble's imports": "strikeouts.cloud.functions,google.cloud.storage,"
    "google.cloud.bigquery",
}


def cold_start(imports: str, log: Path) -> float:
    """Seconds from a new process to listening plus its first request."""
    port = free_port()
    env = {"NOOP_IMPORTS": imports}
    server = start_server("noop", noop_argv(port), port, log, env=env, timeout=60.0)
    try:
        body = push_body(b"{}")
        started = time.perf_counter()
        response = requests.post(
            f"http://{HOST}:{port}/",
            headers=push_headers("t", body["message"]["messageId"]),
            data=json.dumps(body),
            timeout=60.0,
        )
        response.raise_for_status()
        return server.started_in + time.perf_counter() - started
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    log = Path(tempfile.mkdtemp(prefix="cold-floor-")) / "noop.log"
    medians: dict[str, float] = {}
    for name, imports in CASES.items():
        cold_start(imports, log)  # bytecode written, caches warm
        medians[name] = statistics.median(cold_start(imports, log) for _ in range(args.runs))
    base = medians["do-nothing"]
    print(f"cold start (start to listening + first request), median of {args.runs}")
    for name, seconds in medians.items():
        print(f"  {name:32} {seconds:5.2f} s = {seconds / base:4.2f}x the do-nothing function")
    print(f"the goal (<= 2x) leaves {2 * base:.2f} s for a function's start and first request")


if __name__ == "__main__":
    main()
