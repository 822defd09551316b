"""No dependency cycle in infra/: ``terraform validate`` cannot run offline (no provider
download), so the graph Terraform would build is rebuilt from the parsed files (resources,
data sources, locals and modules as nodes; references and depends_on as edges) and must be
acyclic. The explicit depends_on on the APIs and the CMEK grants are what could loop."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from .hcl import ROOT_MODULES, fields, load, locals_of, resources

REFERENCE = re.compile(
    r"\b(?:(data)\.)?((?:google|archive|terraform_data)[a-z0-9_-]*)\.([a-z0-9_]+)|\b(local|module)\.([a-z0-9_]+)"
)


def own(value: Any) -> Any:
    """The parsed value without python-hcl2's comment and block markers."""
    if isinstance(value, Mapping):
        return {k: own(v) for k, v in fields(dict(value)).items()}
    if isinstance(value, list):
        return [own(v) for v in value]
    return value


def references(value: Any) -> set[str]:
    """Graph node names a parsed body refers to."""
    found = set()
    for data, rtype, name, kind, other in REFERENCE.findall(repr(own(value))):
        if rtype:
            found.add(f"{'data.' if data else ''}{rtype}.{name}")
        else:
            found.add(f"{kind}.{other}")
    return found


def graph(module: Path) -> dict[str, set[str]]:
    nodes: dict[str, set[str]] = {}
    for (rtype, name), body in resources(module).items():
        nodes[f"{rtype}.{name}"] = references(body)
    for (rtype, name), body in resources(module, kind="data").items():
        nodes[f"data.{rtype}.{name}"] = references(body)
    for name, value in locals_of(module).items():
        nodes[f"local.{name}"] = references(value)
    for path in sorted(module.glob("*.tf")):
        for block in load(path).get("module", []):
            for name, body in fields(block).items():
                nodes[f"module.{name}"] = references(body)
    return {node: {e for e in edges if e in nodes and e != node} for node, edges in nodes.items()}


def cycle(nodes: dict[str, set[str]]) -> list[str]:
    """One cycle of the graph, or [] (iterative depth-first search)."""
    state: dict[str, int] = {}
    for start in nodes:
        if state.get(start):
            continue
        path, stack = [start], [iter(sorted(nodes[start]))]
        state[start] = 1
        while stack:
            step = next(stack[-1], None)
            if step is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(step) == 1:
                return [*path[path.index(step) :], step]
            elif not state.get(step):
                state[step] = 1
                path.append(step)
                stack.append(iter(sorted(nodes[step])))
    return []


@pytest.mark.parametrize("module", ROOT_MODULES, ids=lambda p: p.name)
def test_the_dependency_graph_has_no_cycle(module: Path) -> None:
    nodes = graph(module)
    assert len(nodes) > 10
    assert cycle(nodes) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert cycle({"a": {"b"}, "b": set()}) == []


def reaches(nodes: dict[str, set[str]], start: str, goal: str) -> bool:
    """Whether ``start`` depends on ``goal``, directly or through other nodes."""
    seen, todo = set(), [start]
    while todo:
        node = todo.pop()
        if node == goal:
            return True
        if node not in seen:
            seen.add(node)
            todo.extend(nodes.get(node, ()))
    return False


def test_functions_wait_for_the_apis_through_the_graph() -> None:
    nodes = graph(ROOT_MODULES[0])
    function = "google_cloudfunctions2_function.function"
    assert reaches(nodes, function, "google_project_service.api")
    assert "google_kms_crypto_key_iam_member.cmek" in nodes["google_pubsub_topic.topic"]


@pytest.mark.parametrize(
    ("waiter", "settle"),
    [
        # a fresh API answers before every service accepts calls on it
        ("google_cloudfunctions2_function.function", "terraform_data.apis_settle"),
        ("google_pubsub_topic.topic", "terraform_data.apis_settle"),
        # a grant the service checks at create time must have propagated
        ("google_cloudfunctions2_function.function", "terraform_data.grants_settle"),
        ("google_cloudfunctions2_function.predict", "terraform_data.grants_settle"),
        ("google_pubsub_subscription.push", "terraform_data.grants_settle"),
        ("google_pubsub_subscription.dead_letter_to_bigquery", "terraform_data.grants_settle"),
        # a new service agent must exist for IAM before it is granted anything
        ("google_pubsub_topic_iam_member.agent_dead_letter", "terraform_data.pubsub_agent"),
        (
            "google_bigquery_table_iam_member.pubsub_writes_dead_letters",
            "terraform_data.pubsub_agent",
        ),
        # Cloud Monitoring answers 404 for minutes after a log metric is created
        (
            "google_monitoring_alert_policy.failed_critical_check",
            "terraform_data.log_metrics_settle",
        ),
        ("google_monitoring_alert_policy.dead_letters", "terraform_data.log_metrics_settle"),
        ("google_monitoring_alert_policy.tick_backlog", "terraform_data.log_metrics_settle"),
    ],
)
def test_a_fresh_apply_waits_for_propagation_where_services_check(waiter: str, settle: str) -> None:
    """Issue 20 items 2 and 3: each wait sits between what propagates and what checks it."""
    nodes = graph(ROOT_MODULES[0])
    assert reaches(nodes, waiter, settle), f"{waiter} does not wait for {settle}"
    body = resources(ROOT_MODULES[0])[tuple(settle.split(".", 1))]  # type: ignore[index]
    assert "sleep ${var." in repr(body["provisioner"])


def test_the_alert_policies_watch_only_log_metrics_that_wait() -> None:
    """Every alert on a user log metric waits for log_metrics_settle, which lists that metric."""
    nodes = graph(ROOT_MODULES[0])
    settle = nodes["terraform_data.log_metrics_settle"]
    for (rtype, name), body in resources(ROOT_MODULES[0]).items():
        if rtype != "google_monitoring_alert_policy" or "logging.googleapis.com/user" not in repr(
            body
        ):
            continue
        metrics = {n for n in nodes[f"{rtype}.{name}"] if n.startswith("google_logging_metric.")}
        assert metrics and metrics <= settle, name
        assert reaches(nodes, f"{rtype}.{name}", "terraform_data.log_metrics_settle"), name
