"""The named checks of ``deploy validate``: the replaced system's five (service health with
the expected systems, the system_id column, the views, min = max coverage, performance rows)
and more (sources, every schema, dead letters since the deploy).

Invariants: a check judges one thing and says what it saw in one line; an error while checking
fails that check (named, with the error), never the validation as a whole; the checks read the
deployment only through :class:`Deployment`, so the stack and the cloud run this same code.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import pandas as pd

from strikeouts.deploy.expect import Expectation, system_of
from strikeouts.deploy.inventory import FunctionState, Inventory
from strikeouts.deploy.operations import CANARY_PREFIX
from strikeouts.deploy.report import Outcome
from strikeouts.monitoring.answers import ANSWERED_SQL, REASON_SQL, unanswered
from strikeouts.monitoring.views import VIEWS_DIR
from strikeouts.names import CHALLENGER, PREDICTIONS
from strikeouts.warehouse.base import Warehouse
from strikeouts.warehouse.schemas import (
    BIGQUERY_SCHEMAS,
    NOT_IN_WAREHOUSE,
    load_schema,
    table_names,
)

SHOWN = 5  # names listed in a detail before "..."

Columns = Callable[[str], list[dict[str, Any]] | None]
DeadLetters = Callable[[dt.datetime], list[str]]


@dataclass
class Deployment:
    """What the checks may ask of a backend: its functions, warehouse, and dead letters."""

    inventory: Inventory
    warehouse: Warehouse
    columns: Columns
    """A table's schema fields as the BigQuery API gives them; None when it does not exist."""
    dead_letters: DeadLetters
    """One line per dead letter since the given time."""
    expect: Expectation

    @cached_property
    def functions(self) -> dict[str, FunctionState]:
        return self.inventory.functions()

    @cached_property
    def latest_run(self) -> pd.DataFrame:
        """(game_id, pitcher_id, system_id, answered, reason) rows of the date's newest run; a
        shadow challenger's rows (model_alias 'challenger') never count as its system's rows."""
        rows = self.warehouse.query(
            "SELECT run_id, run_created_at, game_id, pitcher_id, system_id, model_alias, "
            f"{ANSWERED_SQL} AS answered, {REASON_SQL} AS reason "
            f"FROM {PREDICTIONS} WHERE game_date = @date",
            {"date": self.expect.date},
        )
        rows = rows[rows["model_alias"].isna() | (rows["model_alias"] != CHALLENGER)]
        if rows.empty:
            return rows
        newest = rows.sort_values(["run_created_at", "run_id"]).iloc[-1]["run_id"]
        return rows[rows["run_id"] == newest]


def _names(items: Sequence[str]) -> str:
    shown = ", ".join(items[:SHOWN])
    return shown + (f" (+{len(items) - SHOWN} more)" if len(items) > SHOWN else "")


def functions_deployed(d: Deployment) -> Outcome:
    """Every expected function exists and is ready (ACTIVE; alive and answering)."""
    expected = d.expect.functions
    missing = [f for f in expected if f not in d.functions]
    down = [f"{f} ({d.functions[f].detail})" for f in _present(d) if not d.functions[f].ready]
    if missing or down:
        parts = [f"missing: {_names(missing)}"] if missing else []
        parts += [f"not ready: {_names(down)}"] if down else []
        return Outcome("functions_deployed", False, "; ".join(parts))
    return Outcome("functions_deployed", True, f"{len(expected)} functions ready")


def _present(d: Deployment) -> list[str]:
    return [f for f in d.expect.functions if f in d.functions]


def functions_source(d: Deployment) -> Outcome:
    """Each function runs the source it should (the object or tree hash expected)."""
    if not d.expect.sources:
        return Outcome("functions_source", False, "no expected sources given (--terraform-output)")
    wrong = []
    for name in _present(d):
        want, have = d.expect.sources.get(name), d.functions[name].source
        if want is None:
            wrong.append(f"{name} (no expected source)")
        elif have != want:
            wrong.append(f"{name} runs {_short(have)}, expected {_short(want)}")
    if wrong:
        return Outcome("functions_source", False, _names(wrong))
    return Outcome("functions_source", True, f"{len(_present(d))} functions on the expected source")


def _short(source: str | None) -> str:
    if source is None:
        return "an unknown source"
    return source if "/" in source or len(source) < 20 else source[:12]


def expected_systems(d: Deployment) -> Outcome:
    """The system functions deployed are the expected systems; the date's newest run has
    ensemble rows exactly when the ensemble is on, and no row of an unexpected system."""
    deployed = sorted(s for f in d.functions if (s := system_of(f)) is not None)
    wanted = sorted(d.expect.systems)
    problems = []
    if deployed != wanted:
        problems.append(f"system functions {deployed or 'none'} != expected {wanted}")
    run = d.latest_run
    if not run.empty:
        writers = set(run["system_id"])
        has_ensemble = d.expect.ensemble_id in writers
        if has_ensemble != d.expect.ensemble:
            state = "has" if has_ensemble else "lacks"
            problems.append(f"the newest run {state} {d.expect.ensemble_id} rows")
        extra = sorted(writers - set(d.expect.row_systems))
        if extra:
            problems.append(f"rows of unexpected systems {extra}")
    if problems:
        return Outcome("expected_systems", False, "; ".join(problems))
    ensemble = "on" if d.expect.ensemble else "off"
    return Outcome("expected_systems", True, f"systems {wanted}, ensemble {ensemble}")


def schemas(d: Deployment) -> Outcome:
    """Every table of tables.json exists with every column of its schema (type and mode)."""
    problems = []
    for table in _tables():
        found = d.columns(table)
        if found is None:
            problems.append(f"{table} missing")
            continue
        problems += [
            f"{table}.{p}" for p in field_problems(load_schema(table).bigquery_fields(), found)
        ]
    if problems:
        return Outcome("schemas", False, _names(problems))
    return Outcome("schemas", True, f"{len(_tables())} tables match schemas/bigquery")


def _tables() -> list[str]:
    listed = json.loads((BIGQUERY_SCHEMAS / "tables.json").read_text())
    return [t for t in listed if t not in NOT_IN_WAREHOUSE and t in table_names()]


_TYPE_ALIASES = {"INTEGER": "INT64", "FLOAT": "FLOAT64", "BOOLEAN": "BOOL", "STRUCT": "RECORD"}


def _kind(field: dict[str, Any]) -> tuple[str, str]:
    kind = str(field.get("type", "")).upper()
    return _TYPE_ALIASES.get(kind, kind), str(field.get("mode") or "NULLABLE").upper()


def field_problems(wanted: list[dict[str, Any]], found: list[dict[str, Any]]) -> list[str]:
    """How ``found`` (API fields) falls short of ``wanted`` (schema file fields), nested too."""
    have = {f["name"]: f for f in found}
    problems = []
    for want in wanted:
        got = have.get(want["name"])
        if got is None:
            problems.append(f"{want['name']} missing")
        elif _kind(got) != _kind(want):
            problems.append(
                f"{want['name']} is {'/'.join(_kind(got))}, schema {'/'.join(_kind(want))}"
            )
        elif want.get("fields"):
            inner = field_problems(want["fields"], got.get("fields", []))
            problems += [f"{want['name']}.{p}" for p in inner]
    return problems


def views(d: Deployment) -> Outcome:
    """Every view of schemas/bigquery/views exists and answers a query."""
    names = sorted(p.stem for p in VIEWS_DIR.glob("*.sql"))
    broken = []
    for name in names:
        try:
            d.warehouse.query(f"SELECT * FROM {name} LIMIT 1")
        except Exception as exc:  # any failure of the query is this view's failure
            broken.append(f"{name} ({str(exc).splitlines()[0][:120]})")
    if broken:
        return Outcome("views", False, _names(broken))
    return Outcome("views", True, f"{len(names)} views query")


def coverage(d: Deployment) -> Outcome:
    """Every pitcher-game of the date's newest run has an answer (not an error row) of every
    expected system (and the ensemble when on): systems answering per pitcher-game
    min = max = expected count."""
    run, wanted = d.latest_run, d.expect.row_systems
    if run.empty:
        return Outcome("coverage", False, f"no prediction rows for {d.expect.date}")
    present = run[run["system_id"].isin(wanted) & run["answered"].astype(bool)]
    per_game = present.groupby(["game_id", "pitcher_id"])["system_id"].nunique()
    per_game = per_game.reindex(
        run.set_index(["game_id", "pitcher_id"]).index.unique(), fill_value=0
    )
    low, high, n = int(per_game.min()), int(per_game.max()), len(per_game)
    missing = sorted(set(wanted) - set(present["system_id"]))
    detail = (
        f"run {run['run_id'].iloc[0]}: {n} pitcher-games, systems answering per pitcher-game "
        f"min {low} max {high} of {len(wanted)}"
    ) + (f"; silent: {', '.join(missing)}" if missing else "")
    errors = [f"{s} {text}" for s, text in unanswered(run).items()]
    if errors:
        detail += f"; unanswered: {_names(errors)}"
    return Outcome("coverage", low == high == len(wanted), detail)


def performance(d: Deployment) -> Outcome:
    """system_performance returns the date's rows, one per expected system, each with answers
    (a system whose rows are all errors has rows but no performance)."""
    rows = d.warehouse.query(
        "SELECT system_id, predictions, answered FROM system_performance WHERE game_date = @date",
        {"date": d.expect.date},
    )
    answering = set(rows.loc[rows["answered"] > 0, "system_id"])
    missing = sorted(set(d.expect.row_systems) - set(rows["system_id"]))
    run = d.latest_run
    if not run.empty and str(run["run_id"].iloc[0]).startswith(CANARY_PREFIX):
        # a canary's rows are kept out of every view: the view answering is what is judged
        return Outcome(
            "performance",
            True,
            f"system_performance answers ({len(rows)} rows on {d.expect.date}); the newest run "
            f"{run['run_id'].iloc[0]} is a canary, which the views leave out",
        )
    silent = sorted(set(d.expect.row_systems) - answering - set(missing))
    if rows.empty or missing or silent:
        parts = (
            [f"no system_performance rows for {_names(missing)}"] if missing or rows.empty else []
        )
        parts += [f"no answered rows for {_names(silent)}"] if silent else []
        return Outcome("performance", False, "; ".join(parts))
    return Outcome("performance", True, f"{len(rows)} system_performance rows on {d.expect.date}")


def dead_letters(d: Deployment) -> Outcome:
    """No message was dead-lettered since the deploy (or ``--since``)."""
    since = d.expect.since or d.inventory.deploy_time()
    if since is None:
        return Outcome("dead_letters", False, "no deploy time known: pass --since")
    letters = d.dead_letters(since)
    if letters:
        return Outcome(
            "dead_letters",
            False,
            f"{len(letters)} since {since:%Y-%m-%d %H:%M:%S}: {_names(letters)}",
        )
    return Outcome("dead_letters", True, f"none since {since:%Y-%m-%d %H:%M:%S}Z")


CHECKS: tuple[Callable[[Deployment], Outcome], ...] = (
    functions_deployed,
    functions_source,
    expected_systems,
    schemas,
    views,
    coverage,
    performance,
    dead_letters,
)
CHECK_NAMES = tuple(c.__name__ for c in CHECKS)


def run_check(check: Callable[[Deployment], Outcome], deployment: Deployment) -> Outcome:
    """One check; whatever goes wrong while checking fails that check, with the error."""
    try:
        return check(deployment)
    except Exception as exc:  # a validator reports every check; one broken probe is a FAIL
        first = (str(exc) or type(exc).__name__).splitlines()[0][:200]
        return Outcome(check.__name__, False, f"could not check: {first}")


def validate(deployment: Deployment) -> list[Outcome]:
    """Every check, in order."""
    return [run_check(check, deployment) for check in CHECKS]
