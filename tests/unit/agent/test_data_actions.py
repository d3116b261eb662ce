"""Data actions' decisions on the agent: which services stop during a swap, and the requests
refused before any plugin runs."""

from __future__ import annotations

from agent import protocol as p
from agent.data_actions import dependents, run_data_action

from .specs import plugin, service, spec


def test_the_services_downstream_of_the_step_stop_and_only_they():
    graph = spec(
        5,
        [service("db"), plugin("appdb"), plugin("seed"), service("api"), service("docs")],
        [("db", "appdb"), ("appdb", "seed"), ("seed", "api")],
    )
    assert [n.id for n in dependents(graph, "appdb")] == ["api"]
    assert dependents(graph, "api") == []


async def test_an_unknown_deployment_or_one_not_running_is_refused(parts):
    request = p.DataAction(id=3, deployment_id=5, step="appdb", action="reset", checkpoint="x")
    missing = await run_data_action(parts, request)
    assert isinstance(missing, p.ErrorReply) and missing.code == "not_found"
    parts.store.save_deployment(spec(5, [service("db"), plugin("appdb")]), "sleeping")
    asleep = await run_data_action(parts, request)
    assert isinstance(asleep, p.ErrorReply) and asleep.code == "invalid"
    assert asleep.message == "the deployment is sleeping, not running"
