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
from strikeouts.cli.options import date_option, fail
from strikeouts.settings import Settings

deploy_app = typer.Typer(help="Deploys: validate, snapshot and roll back, seed, canary.")
app.add_typer(deploy_app, name="deploy")

FORMATS = ("text", "json")
# what an operator can act on: a bad option or file, a stack that is not up, a store error
EXPECTED = (ValueError, LookupError, OSError, RuntimeError)

BackendOpt = Annotated[str, typer.Option(help="stack (the local stack) or cloud (the project)")]
TerraformOpt = Annotated[
    Path | None,
    typer.Option(
        "--terraform-output",
        "--sources",
        help="`terraform output -json` of the deploy: function names and source objects, "
        "expected systems, ensemble, warehouse, buckets",
        show_default=False,
    ),
]


@deploy_app.command("validate")
def validate_command(
    date: Annotated[dt.date, date_option("--date", "Game date whose rows are checked")],
    backend: BackendOpt = "stack",
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
    output: Annotated[str, typer.Option("--format", help="text or json")] = "text",
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
        if backend not in backends.BACKENDS:
            raise ValueError(f"--backend={backend!r} must be one of {', '.join(backends.BACKENDS)}")
        if output not in FORMATS:
            raise ValueError(f"--format={output!r} must be one of {', '.join(FORMATS)}")
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
            deployment = backends.cloud_deployment(settings, request, region or settings.gcp_region)
    except EXPECTED as exc:
        raise fail(console, str(exc)) from None
    try:
        outcomes = validate(deployment)
    finally:
        deployment.warehouse.close()
    print(as_json(outcomes, backend) if output == "json" else as_text(outcomes, backend))
    if failed(outcomes):
        raise typer.Exit(code=1)
