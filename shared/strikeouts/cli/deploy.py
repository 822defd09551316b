"""``strikeouts deploy validate|snapshot|rollback|seed|canary``: what Cloud Build runs around
``terraform apply`` (cloudbuild.yaml), and what an operator runs by hand.

Invariants: bad arguments (and a backend that cannot be reached at all) print one red line
and exit 2; a validation prints every check, then exits 1 naming each failed one.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from strikeouts.cli.app import app
from strikeouts.cli.options import (
    Backend,
    DeployedBackend,
    Format,
    FormatOpt,
    date_option,
    fail,
)
from strikeouts.settings import Settings

deploy_app = typer.Typer(
    help="Deploys: validate, snapshot and roll back, seed, canary, soak gates."
)
app.add_typer(deploy_app, name="deploy")

# what an operator can act on: a bad option or file, a stack that is not up, a store error
EXPECTED = (ValueError, LookupError, OSError, RuntimeError)

TerraformOpt = Annotated[
    Path | None,
    typer.Option(
        "--terraform-output",
        help="`terraform output -json` of the deploy: function names and source objects, "
        "expected systems, ensemble, warehouse, buckets",
        show_default=False,
    ),
]


@deploy_app.command("validate")
def validate_command(
    date: Annotated[dt.date, date_option("--date", "Game date whose rows are checked")],
    backend: DeployedBackend = Backend.stack,
    expected_systems: Annotated[
        str | None,
        typer.Option(
            help="a,b (default: terraform output, else STRIKEOUTS_PIPELINE_EXPECTED_SYSTEMS)"
        ),
    ] = None,
    ensemble: Annotated[
        bool | None,
        typer.Option(
            "--ensemble/--no-ensemble",
            help="Ensemble rows expected (default: terraform output, else "
            "STRIKEOUTS_PIPELINE_WRITE_ENSEMBLE)",
            show_default=False,
        ),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(help="Dead letters since this ISO time or span (24h); default: the deploy"),
    ] = None,
    output: FormatOpt = Format.table,
    terraform_output: TerraformOpt = None,
    region: Annotated[
        str | None, typer.Option(help="Functions' region [env: STRIKEOUTS_GCP_REGION]")
    ] = None,
) -> None:
    """Run every deploy check; exit 1 naming each failed check."""
    from strikeouts.cli.recovery import parse_since
    from strikeouts.deploy import backends
    from strikeouts.deploy.checks import validate
    from strikeouts.deploy.expect import parse_systems
    from strikeouts.deploy.report import as_json, as_text, failed

    console = Console(stderr=True)
    settings = Settings()
    try:
        request = backends.Request(
            date=date,
            systems=None if expected_systems is None else parse_systems(expected_systems, ()),
            ensemble=ensemble,
            since=parse_since(since),
            terraform=backends.read_terraform(terraform_output),
        )
        if backend == "stack":
            deployment = backends.stack_deployment(settings, request)
        else:
            deployment = backends.cloud_deployment(
                settings, request, region or settings.stack.gcp_region
            )
    except EXPECTED as exc:
        raise fail(console, str(exc)) from None
    try:
        outcomes = validate(deployment)
    finally:
        deployment.warehouse.close()
    print(as_json(outcomes, backend) if output is Format.json else as_text(outcomes, backend))
    if failed(outcomes):
        raise typer.Exit(code=1)


@deploy_app.command("snapshot")
def snapshot_command(
    out: Annotated[Path, typer.Option("--out", help="Snapshot JSON to write")],
    terraform_output: TerraformOpt = None,
    backend: DeployedBackend = Backend.stack,
) -> None:
    """Record the function source objects and every system's champion/challenger versions."""
    from strikeouts.cloud.functions import open_function_model_store
    from strikeouts.deploy.backends import read_terraform, target_settings
    from strikeouts.deploy.expect import TerraformOutputs
    from strikeouts.deploy.rollout import take_snapshot

    console = Console(stderr=True)
    try:
        tf = read_terraform(terraform_output) or TerraformOutputs()
        settings = target_settings(backend, Settings(), tf)
        store = open_function_model_store(settings)
        snapshot = take_snapshot(store, tf, dt.datetime.now(dt.UTC))
        snapshot.write(out)
    except EXPECTED as exc:
        raise fail(console, str(exc)) from None
    aliases = sum(len(a) for a in snapshot.aliases.values())
    console.print(
        f"snapshot {out}: {len(snapshot.function_source_objects)} function sources, "
        f"{aliases} aliases of {len(snapshot.aliases)} systems in {snapshot.model_store}",
        highlight=False,
    )


@deploy_app.command("rollback")
def rollback_command(
    snapshot_path: Annotated[Path, typer.Option("--snapshot", help="Snapshot JSON to restore")],
    tfvars_out: Annotated[
        Path | None,
        typer.Option(help="Write the tfvars pinning the previous sources (terraform apply)"),
    ] = None,
    backend: DeployedBackend = Backend.stack,
    terraform_output: TerraformOpt = None,
) -> None:
    """Move the aliases back to the snapshot's versions; write the rollback tfvars."""
    import json

    from strikeouts.cloud.functions import open_function_model_store
    from strikeouts.deploy.backends import read_terraform, target_settings
    from strikeouts.deploy.rollout import Snapshot, restore_aliases

    console = Console(stderr=True)
    try:
        snapshot = Snapshot.read(snapshot_path)
        settings = target_settings(backend, Settings(), read_terraform(terraform_output))
        if tfvars_out is not None:
            tfvars_out.write_text(json.dumps(snapshot.tfvars(), indent=2, sort_keys=True) + "\n")
        moves = restore_aliases(open_function_model_store(settings), snapshot)
    except EXPECTED as exc:
        raise fail(console, str(exc)) from None
    for move in moves:
        console.print(move.describe(), highlight=False)
    if tfvars_out is not None:
        pinned = len(snapshot.function_source_objects)
        note = "" if pinned else " (no previous sources: a first deploy has nothing to pin)"
        console.print(f"wrote {tfvars_out}: {pinned} functions pinned{note}", highlight=False)


@deploy_app.command("seed")
def seed_command(
    backend: DeployedBackend = Backend.stack,
    terraform_output: TerraformOpt = None,
    data_dir: Annotated[
        Path | None, typer.Option(help="Raw data folder [env: STRIKEOUTS_DATA_DIR]")
    ] = None,
    train_end: Annotated[
        dt.date, date_option("--train-end", "Missing champions train on starts before this")
    ] = dt.date(2025, 3, 1),
) -> None:
    """Load the warehouse tables when empty and train missing champions (idempotent)."""
    from strikeouts.adapters import open_warehouse
    from strikeouts.cloud.functions import open_function_model_store
    from strikeouts.data.files import DataFileError
    from strikeouts.deploy.backends import read_terraform, target_settings
    from strikeouts.deploy.operations import seed

    console = Console(stderr=True)
    try:
        settings = target_settings(backend, Settings(), read_terraform(terraform_output))
        warehouse = open_warehouse(settings)
        try:
            report = seed(
                warehouse,
                open_function_model_store(settings),
                data_dir or settings.data_dir,
                train_end,
                lambda m: console.print(f"· {m}", highlight=False),
            )
        finally:
            warehouse.close()
    except (*EXPECTED, DataFileError) as exc:
        raise fail(console, str(exc)) from None
    for line in report.lines():
        console.print(line, highlight=False)


@deploy_app.command("canary")
def canary_command(
    date: Annotated[dt.date, date_option("--date", "A past game date with starters")],
    backend: DeployedBackend = Backend.stack,
    terraform_output: TerraformOpt = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the run's rows")] = 600.0,
    tick: Annotated[
        bool, typer.Option(help="Publish ensemble ticks while waiting (merges staged rows)")
    ] = True,
    tick_every: Annotated[
        float,
        typer.Option(min=1.0, help="Seconds between the canary's ticks (the scheduler's: 60)"),
    ] = 60.0,
) -> None:
    """Publish DATE's game-schedule event under a fresh run id and wait for all its rows; exit 1
    unless every row answered (an error row is a row, not an answer)."""
    from strikeouts.adapters import open_warehouse
    from strikeouts.cloud.functions import open_feature_warehouse
    from strikeouts.cloud.publish import build_schedule_event, publish_schedule, publish_tick
    from strikeouts.cloud.pubsub import PubSubPublisher
    from strikeouts.deploy.backends import Request, expectation, read_terraform, target_settings
    from strikeouts.deploy.operations import canary_run_id, run_answers, wait_for_rows
    from strikeouts.monitoring.answers import unanswered
    from strikeouts.runtime.schedule import ScheduleError

    console = Console(stderr=True)
    started = dt.datetime.now(dt.UTC)
    try:
        tf = read_terraform(terraform_output)
        settings = target_settings(backend, Settings(), tf)
        expect = expectation(Request(date=date, terraform=tf))
        run_id = canary_run_id(date)
        features = open_feature_warehouse(settings)
        try:
            event = build_schedule_event(
                features, date, run_id, started, expected_systems=expect.systems
            )
        finally:
            features.close()
        publisher = PubSubPublisher.from_settings(settings)
        publish_schedule(publisher, event)
        starters = sum(len(g["starters"]) for g in event["games"])
        wanted = starters * len(expect.row_systems)
        console.print(
            f"published canary {run_id}: {starters} pitcher-games, waiting for {wanted} rows",
            highlight=False,
        )
        warehouse = open_warehouse(settings)
        try:
            wait_for_rows(
                warehouse,
                run_id,
                wanted,
                timeout,
                (lambda: publish_tick(publisher, dt.datetime.now(dt.UTC)))
                if tick
                else (lambda: None),
                nudge_every=tick_every,
            )
            answers = run_answers(warehouse, run_id)
        finally:
            warehouse.close()
    except (*EXPECTED, ScheduleError) as exc:
        raise fail(console, str(exc)) from None
    seconds = (dt.datetime.now(dt.UTC) - started).total_seconds()
    for system, text in unanswered(answers).items():
        console.print(f"[bold red]unanswered:[/] {system} {text}", highlight=False)
    answered = int(answers["answered"].astype(bool).sum())
    print(
        f"canary {run_id}: {answered} of {wanted} rows answered in {seconds:.0f} s "
        f"({len(answers)} rows written)"
    )
    if answered < wanted:
        raise typer.Exit(code=1)
