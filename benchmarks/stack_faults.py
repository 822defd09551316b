"""Fault drills for ``stack_replay.py``: crashes (SIGKILL) of functions mid-run, a stop of the
Pub/Sub pushes, poison messages on every topic, and what became of them afterwards.

The drill runs from the replay's wait loop: each step is taken once the staged share of the
pitcher-games passes its mark. Crashed functions come back on the same port with the same
environment (the injected fault rates), as Cloud Run replaces an instance.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from stack_probes import cpu_seconds_by_group

from strikeouts.cloud.bigquery_warehouse import BigQueryWarehouse
from strikeouts.cloud.dead_letters import PubSubDeadLetters
from strikeouts.cloud.pubsub import PubSubPublisher
from strikeouts.devstack.stack_control import restart_function, set_pushes
from strikeouts.devstack.stack_info import StackInfo
from strikeouts.names import ENSEMBLE_TICKS, GAME_SCHEDULE, PITCHER_GAMES, SYSTEM_PREDICTIONS
from strikeouts.pipeline.dead_letters import DeadLetterFilter, DeadLetterRecord
from strikeouts.settings import Settings

POISON_RUN = "poison"
# (share of pitcher-games staged, what happens): crashes mid-run and a push outage
STEPS: tuple[tuple[float, str], ...] = (
    (0.25, "kill ensemble + predict_v1_6_rolling"),
    (0.50, "stop pushes"),
    (0.75, "kill ensemble + predict_v1_baseline"),
)
KILLS = {
    "kill ensemble + predict_v1_6_rolling": ("ensemble", "predict_v1_6_rolling"),
    "kill ensemble + predict_v1_baseline": ("ensemble", "predict_v1_baseline"),
}
# subscribers of each topic: a poison message is rejected once by each
SUBSCRIBERS = {
    GAME_SCHEDULE: 1,
    PITCHER_GAMES: 3,
    SYSTEM_PREDICTIONS: 1,
    ENSEMBLE_TICKS: 1,
}


@dataclass
class Drill:
    """Crashes and a push outage at fixed shares of the replay, each taken once."""

    settings: Settings
    env: Mapping[str, str]
    pause_seconds: float
    cpu_before: Mapping[int, float] = field(default_factory=dict)
    """CPU seconds per process group when the replay started (see :meth:`cpu_of`)."""
    done: list[tuple[float, str, float]] = field(default_factory=list)
    """(share staged, step, seconds it took) of every step taken."""
    crashed_cpu: dict[str, float] = field(default_factory=dict)
    """CPU seconds the crashed instances of each function used during the replay."""

    def step(self, share: float) -> None:
        """Take every step whose mark ``share`` has passed and that was not taken yet."""
        for mark, what in STEPS:
            if share >= mark and what not in {d[1] for d in self.done}:
                started = time.perf_counter()
                self._take(what)
                self.done.append((share, what, time.perf_counter() - started))

    def _take(self, what: str) -> None:
        if what in KILLS:
            for name in KILLS[what]:
                self._count_cpu(name)
                restart_function(self.settings, name, self.env, kill=True, keep_log=True)
            return
        set_pushes(self.settings, paused=True)
        try:
            time.sleep(self.pause_seconds)
        finally:
            set_pushes(self.settings, paused=False)

    def _count_cpu(self, name: str) -> None:
        pid = StackInfo.recorded(self.settings).processes[name].pid
        used = cpu_seconds_by_group().get(pid, 0.0) - self.cpu_before.get(pid, 0.0)
        self.crashed_cpu[name] = self.crashed_cpu.get(name, 0.0) + used

    def cpu_of(self, name: str, after: Mapping[int, float]) -> float:
        """CPU seconds ``name`` used during the replay: its instances now and the crashed ones."""
        pid = StackInfo.recorded(self.settings).processes[name].pid
        now = after.get(pid, 0.0) - self.cpu_before.get(pid, 0.0)
        return now + self.crashed_cpu.get(name, 0.0)


def poison_messages(per_topic: int) -> list[tuple[str, bytes]]:
    """``per_topic`` distinct bad messages for each topic: not JSON, off-schema, unknown system."""
    out: list[tuple[str, bytes]] = []
    for i in range(per_topic):
        out += [
            (GAME_SCHEDULE, f"not json {i}".encode()),
            (
                GAME_SCHEDULE,
                _json({"schema_version": 1, "message_type": "game-schedule", "n": i}),
            ),
            (
                PITCHER_GAMES,
                _json({"schema_version": 1, "message_type": "pitcher-game", "header": {"n": i}}),
            ),
            (PITCHER_GAMES, f"{{truncated {i}".encode()),
            (
                SYSTEM_PREDICTIONS,
                _json(
                    {
                        "schema_version": 1,
                        "message_type": "system-prediction",
                        "system_id": f"v9_{i}",
                    }
                ),
            ),
            (
                ENSEMBLE_TICKS,
                _json({"schema_version": 1, "message_type": "ensemble-tick", "now": f"never {i}"}),
            ),
        ]
    return out


def _json(message: Mapping[str, object]) -> bytes:
    return json.dumps(message).encode()


def publish_poison(publisher: PubSubPublisher, messages: list[tuple[str, bytes]]) -> int:
    """Publish the poison (tagged ``run_id=poison``); returns the rejections it should cause."""
    for topic, data in messages:
        publisher.publish_raw(topic, data, {"run_id": POISON_RUN})
    publisher.flush()
    return sum(SUBSCRIBERS[topic] for topic, _ in messages)


def rejections(cloud: BigQueryWarehouse) -> Counter[str]:
    """Rejected messages by handler and the reason's error type."""
    frame = cloud.query("SELECT handler, reason FROM rejected_messages")
    return Counter(
        f"{h}: {str(r).split(':', 1)[0]}"
        for h, r in zip(frame["handler"], frame["reason"], strict=True)
    )


@dataclass(frozen=True)
class DeadLetterFigures:
    """The dead letters after the replay: poison ones, and good ones redriven."""

    poison: int
    good: list[DeadLetterRecord]
    redriven: int


def settle_dead_letters(
    info: StackInfo, publisher: PubSubPublisher, is_good: Callable[[DeadLetterRecord], bool]
) -> DeadLetterFigures:
    """Count the dead letters; redrive the good ones (a run's message that used up its
    attempts under the injected faults) so nothing is lost, and say how many there were."""
    letters = PubSubDeadLetters(info.settings())
    pending = letters.pending(DeadLetterFilter())
    good = [d for d in pending if is_good(d)]
    redriven = 0
    if good:
        runs = {d.labels().get("run_id", "") for d in good}
        for run in sorted(runs):
            redriven += len(letters.redrive(DeadLetterFilter(equals={"run_id": run}), publisher))
    return DeadLetterFigures(len(pending) - len(good), good, redriven)
