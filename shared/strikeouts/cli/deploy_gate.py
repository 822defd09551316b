"""``strikeouts deploy gate``: the soak gate between rollout phases (docs/DEPLOY.md, Phases).

Invariant: bad arguments (an unknown phase, a malformed date) print one red line and exit 2;
a blocked gate prints each soak day and what is missing, then exits 1.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer
from rich.console import Console

from strikeouts.cli.deploy import EXPECTED, deploy_app
from strikeouts.cli.options import WarehouseOpt, date_option, fail, settings_with


@deploy_app.command("gate")
def gate_command(
    phase: Annotated[int, typer.Option("--phase", help="The rollout phase to enter (2, 3, 4)")],
    date: Annotated[dt.date, date_option("--date", "Last game day of the previous phase's soak")],
    warehouse: WarehouseOpt = None,
) -> None:
    """Pass only when the previous phase soaked: its graded game days up to DATE, every
    critical check green on each (error share included); exit 1 saying what is missing."""
    from strikeouts.adapters import open_warehouse
    from strikeouts.deploy.gate import gate, soak_of
    from strikeouts.monitoring.views import ensure_views
    from strikeouts.warehouse import WarehouseError

    console = Console(stderr=True)
    settings = settings_with(warehouse=warehouse)
    try:
        soak_of(phase)
        store = open_warehouse(settings)
        try:
            ensure_views(store)
            report = gate(store, phase, date, settings)
        finally:
            store.close()
    except (*EXPECTED, WarehouseError) as exc:
        raise fail(console, str(exc)) from None
    soak = report.soak
    print(f"gate to phase {phase}: {soak.reason}")
    for line in report.days:
        print(f"  {line}")
    for line in report.missing:
        print(f"  missing: {line}")
    print("PASSED" if report.passed else f"BLOCKED: phase {phase} needs the soak above")
    if not report.passed:
        raise typer.Exit(code=1)
