"""Promotion, rollback and shadowing aliases on both store backends, through the CLI and the
store: what each move records, and one red line with exit 2 for every error a user can fix."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from strikeouts.cli import app
from strikeouts.models.store import ModelStoreError, ObjectModelStore

from .conftest import SYSTEM, Backend, metadata_of


@pytest.fixture
def store(backend: Backend, artifacts: list[bytes]) -> ObjectModelStore:
    """Three versions of SYSTEM, the champion on v0001."""
    store = backend.make()
    for i, artifact in enumerate(artifacts):
        store.save(SYSTEM, artifact, metadata_of(validation_metrics={"mae": 1.5 + i / 10}))
    store.set_alias(SYSTEM, "champion", "v0001")
    return store


def _cli(backend: Backend, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["models", *args], env={**backend.env, "COLUMNS": "200"})
    return result.exit_code, result.output


def test_promote_challenger_then_rollback_walks_the_history(
    backend: Backend, store: ObjectModelStore
) -> None:
    code, out = _cli(
        backend, "promote", "--system", SYSTEM, "--alias", "challenger", "--to", "v0003"
    )
    assert code == 0, out
    assert "challenger: (unset) → v0003" in out
    code, out = _cli(backend, "promote", "--system", SYSTEM, "--to", "challenger")
    assert code == 0, out
    assert "champion: v0001 → v0003" in out
    assert store.aliases(SYSTEM) == {"champion": "v0003", "challenger": "v0003"}

    code, out = _cli(backend, "rollback", "--system", SYSTEM)
    assert code == 0, out
    assert "champion: v0003 → v0001" in out
    assert store.aliases(SYSTEM)["champion"] == "v0001"
    code, out = _cli(backend, "rollback", "--system", SYSTEM, "--to", "v0002")
    assert code == 0, out
    assert store.aliases(SYSTEM)["champion"] == "v0002"

    code, out = _cli(backend, "promote", "--system", SYSTEM, "--alias", "challenger", "--clear")
    assert code == 0, out
    assert store.aliases(SYSTEM) == {"champion": "v0002"}
    moves = [(e["alias"], e["previous"], e["version"]) for e in store.alias_history(SYSTEM)]
    assert moves == [
        ("champion", None, "v0001"),
        ("challenger", None, "v0003"),
        ("champion", "v0001", "v0003"),
        ("champion", "v0003", "v0001"),
        ("champion", "v0001", "v0002"),
        ("challenger", "v0003", None),
    ]


def test_list_shows_versions_metadata_aliases_and_history(
    backend: Backend, store: ObjectModelStore
) -> None:
    store.set_alias(SYSTEM, "challenger", "v0002")
    code, out = _cli(backend, "list", "--system", SYSTEM)
    assert code == 0, out
    lines = out.splitlines()
    v1 = next(line for line in lines if "v0001" in line and "champion" in line)
    assert "2024-09-30" in v1 and "1.500" in v1 and "40" in v1
    v2 = next(line for line in lines if "v0002" in line and "challenger" in line)
    assert "1.600" in v2
    assert any("v0003" in line and "1.700" in line for line in lines)
    assert "(unset) → v0002" in out  # the challenger's move in the history


def test_promoting_where_the_alias_already_points_records_nothing(
    backend: Backend, store: ObjectModelStore
) -> None:
    code, out = _cli(backend, "promote", "--system", SYSTEM, "--to", "v0001")
    assert code == 0, out
    assert "nothing changed" in out
    assert len(store.alias_history(SYSTEM)) == 1


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["promote", "--system", "no_such_system", "--to", "v0001"], "no_such_system"),
        (["promote", "--system", SYSTEM, "--to", "v0009"], "v0009"),
        (["promote", "--system", SYSTEM, "--to", "challenger"], "challenger"),
        (["promote", "--system", SYSTEM, "--alias", "shadow", "--to", "v0002"], "shadow"),
        (["promote", "--system", SYSTEM], "--clear"),
        (["promote", "--system", SYSTEM, "--to", "v0002", "--clear"], "--clear"),
        (["promote", "--system", SYSTEM, "--clear"], "champion cannot be cleared"),
        (["rollback", "--system", SYSTEM], "no earlier champion"),
        (["rollback", "--system", "no_such_system"], "no_such_system"),
        (["rollback", "--system", SYSTEM, "--to", "v0042"], "v0042"),
        (["list", "--system", "no_such_system"], "no_such_system"),
    ],
)
def test_user_errors_are_one_red_line_and_exit_2(
    backend: Backend, store: ObjectModelStore, args: list[str], named: str
) -> None:
    code, out = _cli(backend, *args)
    assert code == 2, out
    assert named in out
    assert "Traceback" not in out
    assert store.aliases(SYSTEM) == {"champion": "v0001"}  # nothing moved


def test_remove_alias_is_compare_and_swap_and_recorded(
    backend: Backend, store: ObjectModelStore
) -> None:
    store.set_alias(SYSTEM, "challenger", "v0002")
    with pytest.raises(ModelStoreError, match="points at v0002, not v0003"):
        store.remove_alias(SYSTEM, "challenger", expected="v0003")
    assert store.remove_alias(SYSTEM, "challenger", expected="v0002") == "v0002"
    assert store.remove_alias(SYSTEM, "challenger") is None  # already gone: no new entry
    history = store.alias_history(SYSTEM)
    assert history[-1]["alias"] == "challenger" and history[-1]["version"] is None
    assert len(history) == 3
    reader = backend.make()
    assert reader.lookup(SYSTEM, "challenger") is None
    assert reader.lookup(SYSTEM, "champion") == "v0001"


def test_rollback_refuses_when_the_champion_moved_meanwhile(
    backend: Backend, store: ObjectModelStore
) -> None:
    store.set_alias(SYSTEM, "champion", "v0002")
    with pytest.raises(ModelStoreError, match="points at v0002, not v0003"):
        store.move_alias(SYSTEM, "champion", "v0001", expected="v0003")
    assert store.aliases(SYSTEM)["champion"] == "v0002"
