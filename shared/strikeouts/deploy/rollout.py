"""Snapshot before a deploy, roll back after a failed one: function sources and model aliases.

Invariants: a snapshot records only what a rollback needs — each function's source object
(``terraform output function_source_objects``), the systems phase when Terraform reported
it, and every system's champion/challenger versions; a rollback moves each alias back with the
store's compare-and-swap ``set_alias`` (an alias already there is left untouched; a
challenger set since the snapshot is removed) and writes the tfvars that pin the functions to
their previous objects for ``terraform apply``.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from strikeouts.deploy.expect import TerraformOutputs, system_of
from strikeouts.models.store import ModelStore, ModelStoreError
from strikeouts.names import CHALLENGER, CHAMPION

SNAPSHOT_ALIASES = (CHAMPION, CHALLENGER)


@dataclass(frozen=True)
class Snapshot:
    """What a deploy may change, as it was before."""

    taken_at: str
    model_store: str
    function_source_objects: dict[str, str] = field(default_factory=dict)
    systems: dict[str, Any] | None = None
    """``var.systems`` of the previous phase, when Terraform's outputs tell it."""
    aliases: dict[str, dict[str, str]] = field(default_factory=dict)

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(asdict(self), indent=2, sort_keys=True) + "\n")

    @classmethod
    def read(cls, path: Path) -> Snapshot:
        try:
            raw = json.loads(path.read_text())
            return cls(**raw)
        except OSError as exc:
            raise ValueError(f"--snapshot {path}: {exc.strerror}") from None
        except (json.JSONDecodeError, TypeError) as exc:
            raise ValueError(f"--snapshot {path} is not a deploy snapshot: {exc}") from None

    def tfvars(self) -> dict[str, Any]:
        """The variables of the rollback apply: functions pinned to their previous objects
        (and the previous phase when known)."""
        variables: dict[str, Any] = {"function_source_objects": self.function_source_objects}
        if self.systems is not None:
            variables["systems"] = self.systems
        return variables


def previous_systems(tf: TerraformOutputs) -> dict[str, Any] | None:
    """``var.systems`` as the outputs show it (deployed = the system functions)."""
    if tf.expected_systems is None or tf.write_ensemble is None or not tf.function_names:
        return None
    deployed = sorted(s for f in tf.function_names if (s := system_of(f)) is not None)
    return {
        "deployed": deployed,
        "expected": list(tf.expected_systems),
        "ensemble": tf.write_ensemble,
    }


def alias_versions(store: ModelStore) -> dict[str, dict[str, str]]:
    """Every stored system's champion/challenger versions (a system with none is left out)."""
    found: dict[str, dict[str, str]] = {}
    for system_id in store.systems():
        try:
            aliases = store.aliases(system_id)
        except ModelStoreError:
            continue  # objects but no complete version yet: nothing to restore
        kept = {a: v for a, v in aliases.items() if a in SNAPSHOT_ALIASES}
        if kept:
            found[system_id] = kept
    return found


def take_snapshot(store: ModelStore, tf: TerraformOutputs, now: dt.datetime) -> Snapshot:
    """The snapshot of the deployment before ``terraform apply``."""
    return Snapshot(
        taken_at=now.isoformat(),
        model_store=store.location,
        function_source_objects=dict(tf.function_source_objects),
        systems=previous_systems(tf),
        aliases=alias_versions(store),
    )


@dataclass(frozen=True)
class AliasMove:
    """One alias a rollback looked at."""

    system_id: str
    alias: str
    before: str | None
    after: str | None

    def describe(self) -> str:
        if self.after is None and self.alias == CHALLENGER:
            return f"{self.system_id}@{self.alias} {self.before} removed (not in the snapshot)"
        if self.after is None:
            return (
                f"{self.system_id}@{self.alias} {self.before} left in place (not in the snapshot)"
            )
        if self.before == self.after:
            return f"{self.system_id}@{self.alias} already {self.after}"
        return f"{self.system_id}@{self.alias} {self.before} -> {self.after}"


def restore_aliases(store: ModelStore, snapshot: Snapshot) -> list[AliasMove]:
    """Point every alias of the snapshot back at its version; report aliases set since."""
    moves = []
    for system_id, aliases in sorted(snapshot.aliases.items()):
        current = _current(store, system_id)
        for alias, version in sorted(aliases.items()):
            if current.get(alias) != version:
                store.set_alias(system_id, alias, version)
            moves.append(AliasMove(system_id, alias, current.get(alias), version))
        for alias in sorted(set(current) - set(aliases)):
            if alias == CHALLENGER:
                # a shadow set by the failed deploy ends with it; a champion the deploy seeded
                # stays, since removing it would leave the system nothing to serve
                store.remove_alias(system_id, alias)
            if alias in SNAPSHOT_ALIASES:
                moves.append(AliasMove(system_id, alias, current[alias], None))
    return moves


def _current(store: ModelStore, system_id: str) -> dict[str, str]:
    try:
        return store.aliases(system_id)
    except ModelStoreError:
        return {}
