"""``strikeouts models list|promote|rollback``: which model each system serves, and moving it.

Invariant: every error the user can fix (unknown system or version, nothing to roll back,
clearing the champion) is one red line naming it, exit code 2; a move prints what it did and
when running functions will serve it (the alias TTL).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from strikeouts.adapters import open_model_store
from strikeouts.cli.app import app
from strikeouts.cli.options import ModelStoreOpt, fail, settings_with, wide
from strikeouts.models.promotion import AliasMove, clear, promote, rollback, version_rows
from strikeouts.models.store import DEFAULT_ALIAS, ModelStoreError, ObjectModelStore
from strikeouts.names import CHALLENGER

models_app = typer.Typer(
    name="models",
    help="List, promote and roll back the model versions systems serve.",
    no_args_is_help=True,
)
app.add_typer(models_app, name="models")

SystemOpt = Annotated[str, typer.Option("--system", help="System id, e.g. v1_baseline")]


def _store(model_store: str | None) -> tuple[ObjectModelStore, float]:
    settings = settings_with(model_store=model_store)
    return open_model_store(settings), settings.alias_ttl_seconds


def _run(console: Console, action: Callable[[], AliasMove], ttl: float) -> None:
    try:
        move = action()
    except ModelStoreError as exc:
        raise fail(console, str(exc)) from None
    if not move.changed:
        console.print(f"{move} (already there: nothing changed)", highlight=False)
        return
    console.print(
        f"[bold]{move}[/] — running functions serve it within {ttl:g} s "
        "(the alias TTL) plus one message",
        highlight=False,
    )


@models_app.command("list")
def list_command(system: SystemOpt, model_store: ModelStoreOpt = None) -> None:
    """Versions of a system with their metadata and aliases, then the alias history."""
    console = wide(Console())
    store, _ = _store(model_store)
    try:
        rows = version_rows(store, system)
        history = store.alias_history(system)
    except ModelStoreError as exc:
        raise fail(console, str(exc)) from None
    table = Table(title=f"{system} · {store.location}")
    for column in ("version", "aliases", "train_end", "n rows", "validation MAE", "created"):
        table.add_column(column)
    for row in rows:
        mae = row["validation_mae"]
        table.add_row(
            row["version"],
            ", ".join(row["aliases"]),
            str(row["train_end"]),
            f"{row['n_train_rows']:,}",
            "" if mae is None else f"{mae:.3f}",
            row["created_at"].isoformat(timespec="seconds"),
        )
    console.print(table)
    moves = Table(title="alias history (oldest first)")
    for column in ("at", "alias", "previous → version"):
        moves.add_column(column)
    for entry in history:
        change = f"{entry.get('previous') or '(unset)'} → {entry.get('version') or '(unset)'}"
        moves.add_row(str(entry.get("at", ""))[:19], str(entry.get("alias")), change)
    console.print(moves)


@models_app.command("promote")
def promote_command(
    system: SystemOpt,
    to: Annotated[
        str | None,
        typer.Option("--to", help="Version (e.g. v0003) or alias (e.g. challenger) to point at"),
    ] = None,
    alias: Annotated[
        str, typer.Option("--alias", help="Alias to move: champion or challenger")
    ] = DEFAULT_ALIAS,
    clear_alias: Annotated[
        bool, typer.Option("--clear", help="Remove the alias instead (ends shadowing)")
    ] = False,
    model_store: ModelStoreOpt = None,
) -> None:
    """Point --alias (default champion) at --to; with --clear, remove it (the challenger)."""
    console = Console()
    store, ttl = _store(model_store)
    if alias not in (DEFAULT_ALIAS, CHALLENGER):
        raise fail(console, f"--alias={alias!r}: expected {DEFAULT_ALIAS} or {CHALLENGER}")
    if clear_alias == (to is not None):
        raise fail(console, "give exactly one of --to VERSION and --clear")
    if clear_alias:
        _run(console, lambda: clear(store, system, alias), ttl)
    elif to is not None:
        _run(console, lambda: promote(store, system, to, alias), ttl)


@models_app.command("rollback")
def rollback_command(
    system: SystemOpt,
    to: Annotated[
        str | None,
        typer.Option("--to", help="Version to go back to (default: the previous champion)"),
    ] = None,
    model_store: ModelStoreOpt = None,
) -> None:
    """Move the champion back to the version it pointed at before its last move."""
    console = Console()
    store, ttl = _store(model_store)
    _run(console, lambda: rollback(store, system, to), ttl)
