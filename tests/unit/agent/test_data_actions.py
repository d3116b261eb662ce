"""Data actions' decisions on the agent: which services stop during a swap, the requests
refused before any plugin runs, when `prepare_reset` follows (queued, never cancelling), and
a reset's plugin getting its stdin only once the services using the database stopped, and
the next reset's plugin held started (used by that reset, discarded by other work) in a thread
of its own."""

from __future__ import annotations

import asyncio
import threading

import pytest

from agent import protocol as p
from agent.data_actions import dependents, run_data_action
from agent.deployments import Deployments
from agent.next_reset import wants_prepare
from agent.work import Work

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


def test_only_a_checkpoint_or_reset_that_asks_and_succeeded_is_followed_by_prepare_reset():
    reset = p.DataAction(id=1, deployment_id=5, step="appdb", action="reset", checkpoint="x")
    usage = p.DataAction(id=2, deployment_id=5, step="appdb", action="usage")
    asks = p.DataResult(id=1, ok=True, outputs={"prepare": True})
    assert wants_prepare(reset, asks)
    assert not wants_prepare(usage, asks)
    assert not wants_prepare(reset, p.DataResult(id=1, ok=True, outputs={"prepare": "yes"}))
    assert not wants_prepare(reset, p.DataResult(id=1, ok=False, outputs={"prepare": True}))


async def test_a_prepare_in_flight_is_waited_for_and_never_cancels_a_deploy():
    work, order = Work(), []
    deploy_may_end = asyncio.Event()

    async def deploy() -> None:
        order.append("deploy started")
        await deploy_may_end.wait()
        order.append("deploy ended")

    async def prepare() -> None:
        order.append("prepare")

    work.start(5, "deploy", deploy)
    await asyncio.sleep(0)
    work.start(5, "prepare", prepare)  # queued behind the deploy, which it must not cancel
    await asyncio.sleep(0.05)
    deploy_may_end.set()
    await asyncio.wait_for(work.tasks[5], 10)
    assert order == ["deploy started", "deploy ended", "prepare"]
    work.start(5, "delete", lambda: asyncio.sleep(0, order.append("delete")))
    await asyncio.wait_for(work.tasks[5], 10)
    assert order[-1] == "delete"


async def _ended(deployments: Deployments) -> None:
    """The discarded held runs are over (their containers killed)."""
    ending = list(deployments.held.ending)
    if ending:
        await asyncio.wait(ending, timeout=10)
    assert all(task.done() for task in ending)


async def test_a_reset_feeds_the_plugin_only_once_its_services_stopped_then_prepares(parts, engine):
    deployments = Deployments(parts)
    graph = [service("db"), plugin("appdb"), service("api")]
    deployments.deploy(spec(6, graph, [("db", "appdb"), ("appdb", "api")]))
    await asyncio.wait_for(deployments.work.tasks[6], 30)
    fed_before_the_stop_ended: list[list] = []
    stop = engine.stop_containers

    async def stop_slowly(container_ids: list[str]) -> None:
        await asyncio.sleep(0.2)  # the plugin's container starts meanwhile, without its stdin
        fed_before_the_stop_ended.append(list(engine.plugin_gate_opened))
        await stop(container_ids)

    engine.stop_containers = stop_slowly
    engine.plugin_behaviour = lambda step, action, document: (0, {"outputs": {"prepare": True}}, "")
    request = p.DataAction(id=9, deployment_id=6, step="appdb", action="reset", checkpoint="x")
    result = await deployments.data_action(request)

    assert isinstance(result, p.DataResult) and result.ok and result.stopped == ["api"], result
    assert fed_before_the_stop_ended == [[]]
    assert engine.plugin_gate_opened == [("appdb", "reset")]
    await asyncio.wait_for(deployments.work.tasks[6], 30)  # prepare_reset, after the answer
    runs = [(c.step, c.action, c.document["data"]) for c in engine.plugin_calls[1:]]
    assert runs == [
        ("appdb", "reset", {"checkpoint": "x"}),
        ("appdb", "prepare_reset", {"checkpoint": "x"}),
    ]
    assert engine.plugin_gate_opened[-1] == ("appdb", "prepare_reset")
    deployments.held.discard(6)
    await _ended(deployments)


async def test_the_next_reset_is_held_started_and_used_and_other_work_discards_it(parts, engine):
    deployments = Deployments(parts)
    graph = [service("db"), plugin("appdb"), service("api")]
    deployments.deploy(spec(8, graph, [("db", "appdb"), ("appdb", "api")]))
    await asyncio.wait_for(deployments.work.tasks[8], 30)
    engine.plugin_behaviour = lambda step, action, document: (0, {"outputs": {"prepare": True}}, "")

    def act(action: str, checkpoint: str = "before") -> p.DataAction:
        return p.DataAction(
            id=1, deployment_id=8, step="appdb", action=action, checkpoint=checkpoint
        )

    assert (await deployments.data_action(act("checkpoint"))).ok
    await asyncio.wait_for(deployments.work.tasks[8], 30)
    held = deployments.held.held[(8, "appdb")]
    await asyncio.sleep(0.05)
    assert not held.task.done() and engine.plugin_started[-1] == ("appdb", "reset")

    reset = await deployments.data_action(act("reset"))
    assert reset.ok and reset.stopped == ["api"], reset
    assert held.task.done() and held.task.result() == {"prepare": True}  # that run answered
    await asyncio.wait_for(deployments.work.tasks[8], 30)
    runs = [a for s, a in engine.plugin_started if s == "appdb" and a != "apply"]
    assert runs == ["checkpoint", "prepare_reset", "reset", "prepare_reset", "reset"]

    # A reset to another checkpoint discards the held one and starts its own plugin.
    again = deployments.held.held[(8, "appdb")]
    other = await deployments.data_action(act("reset", "other"))
    assert other.ok and (again.task.cancelling() or again.task.cancelled())
    await asyncio.wait_for(deployments.work.tasks[8], 30)
    usage = await deployments.data_action(act("usage", ""))
    assert usage.ok and (8, "appdb") in deployments.held.held  # reading sizes keeps it

    deployments.sleep(8)  # other work on the deployment discards it: its container is killed
    assert deployments.held.held == {}
    await asyncio.wait_for(deployments.work.tasks[8], 30)
    await _ended(deployments)


async def test_the_stopped_services_start_again_a_layer_at_once(parts, engine):
    deployments = Deployments(parts)
    graph = [service("db"), plugin("appdb"), service("api"), service("jobs"), service("web")]
    edges = [("db", "appdb"), ("appdb", "api"), ("appdb", "jobs"), ("api", "web")]
    deployments.deploy(spec(7, graph, edges))
    await asyncio.wait_for(deployments.work.tasks[7], 30)
    steps = {c.id: c.step for c in engine.owned_by(7)}
    starting: set[str] = set()
    seen: list[set[str]] = []
    start = engine.start_existing

    async def start_slowly(container_id: str) -> None:
        starting.add(steps[container_id])
        seen.append(set(starting))
        await asyncio.sleep(0.1)
        await start(container_id)
        starting.discard(steps[container_id])

    engine.start_existing = start_slowly
    listed = engine.list_own
    listings: list[int | None] = []

    async def list_counted(deployment_id: int | None = None) -> list:
        listings.append(deployment_id)
        return await listed(deployment_id)

    engine.list_own = list_counted
    request = p.DataAction(id=4, deployment_id=7, step="appdb", action="checkpoint", checkpoint="c")
    result = await deployments.data_action(request)

    assert isinstance(result, p.DataResult) and result.ok, result
    assert sorted(result.stopped) == ["api", "jobs", "web"]
    assert seen[:2] == [{"api"}, {"api", "jobs"}]  # one layer at once
    assert seen[2] == {"web"}  # the next layer once the first one is up
    assert {c.step: c.state for c in engine.owned_by(7)}["web"] == "running"
    assert listings == [7]  # once, to stop them: their ids serve to start them again


async def test_a_held_run_has_its_own_thread_not_one_of_the_shared_pool():
    from concurrent.futures import ThreadPoolExecutor

    from agent.runtime.engine import _in_own_thread

    loop = asyncio.get_running_loop()
    loop.set_default_executor(ThreadPoolExecutor(1))
    release = threading.Event()
    busy = asyncio.ensure_future(asyncio.to_thread(release.wait, 10))  # the pool's one worker
    try:
        assert await asyncio.wait_for(_in_own_thread(lambda x: x + 1, 41), 5) == 42
        with pytest.raises(ZeroDivisionError):
            await asyncio.wait_for(_in_own_thread(lambda: 1 / 0), 5)
    finally:
        release.set()
        await busy
