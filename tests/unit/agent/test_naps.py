"""Sleep and wake against the fake Engine (issue 20): containers stopped and kept, started
again at the same ports; a failed wake leaves nothing running; reconcile keeps a sleeping
deployment asleep and its containers in place."""

from __future__ import annotations

import asyncio

from agent import protocol as p
from agent.deployments import Deployments
from agent.reconcile import reconcile

from .specs import of_type, service, spec


async def _done(deployments: Deployments, deployment_id: int) -> p.DeploymentState:
    await asyncio.wait_for(deployments.work.tasks[deployment_id], 30)
    return deployments.state(deployment_id)


async def _running(parts, deployments: Deployments, deployment_id: int) -> p.DeploymentState:
    deployments.deploy(spec(deployment_id, [service("db", port=5432), service("web", port=80)]))
    state = await _done(deployments, deployment_id)
    assert state.status == "running"
    return state


async def test_sleep_stops_and_keeps_the_containers_and_wake_brings_them_back_at_their_ports(
    parts, engine, events
):
    deployments = Deployments(parts)
    before = await _running(parts, deployments, 1)
    containers = {c.step: c.id for c in engine.owned_by(1)}

    deployments.sleep(1)
    asleep = await _done(deployments, 1)

    assert asleep.status == "sleeping" and asleep.ports == before.ports
    assert {c.step: (c.id, c.state) for c in engine.owned_by(1)} == {
        step: (cid, "exited") for step, cid in containers.items()
    }
    assert engine.networks  # the network stays for the wake

    deployments.wake(1)
    awake = await _done(deployments, 1)

    assert (awake.status, awake.error, awake.ports) == ("running", "", before.ports)
    assert {c.step: (c.id, c.state) for c in engine.owned_by(1)} == {
        step: (cid, "running") for step, cid in containers.items()
    }
    statuses = [e.status for e in of_type(events, p.DeploymentStatus)]
    assert statuses == ["deploying", "running", "sleeping", "running"]


async def test_a_wake_that_fails_stops_what_it_started_and_stays_sleeping(parts, engine, events):
    deployments = Deployments(parts)
    await _running(parts, deployments, 2)
    deployments.sleep(2)
    await _done(deployments, 2)
    web = next(c.id for c in engine.owned_by(2) if c.step == "web")
    await engine.remove_containers([web])  # removed by hand while asleep, and it cannot start
    engine.failing_services["web"] = "pull access denied for app/web"

    deployments.wake(2)
    state = await _done(deployments, 2)

    assert state.status == "sleeping"
    assert state.error.startswith("wake failed:") and "pull access denied" in state.error
    assert [c.state for c in engine.owned_by(2) if c.state == "running"] == []
    assert of_type(events, p.DeploymentStatus)[-1].status == "sleeping"


async def test_wake_twice_starts_one_wake_and_sleep_of_a_sleeping_one_does_nothing(
    parts, engine, events
):
    deployments = Deployments(parts)
    await _running(parts, deployments, 3)
    deployments.sleep(3)
    await _done(deployments, 3)
    first = deployments.work.tasks[3]

    deployments.wake(3)
    waking = deployments.work.tasks[3]
    deployments.wake(3)  # a second request while the first wake runs

    assert deployments.work.tasks[3] is waking and waking is not first
    assert (await _done(deployments, 3)).status == "running"
    assert [e.status for e in of_type(events, p.DeploymentStatus)].count("running") == 2


async def test_reconcile_keeps_a_sleeping_deployment_asleep_and_its_containers(
    parts, engine, events
):
    parts.store.save_deployment(spec(4, [service("api", port=80)]), "sleeping")
    started = engine.add_container(4, "api", state="running")  # a wake cut short by a restart
    engine.add_network(4)
    deployments = Deployments(parts)
    deployments.synced = True

    await reconcile(parts, deployments)

    assert engine.containers[started].state == "exited"
    assert list(engine.networks) == [engine.network_name(4)]
    assert parts.store.get(4).status == "sleeping"
    assert of_type(events, p.DeploymentStatus) == []


async def test_a_wake_of_a_running_one_or_a_sleep_of_a_sleeping_one_reports_what_it_is(
    parts, engine, events
):
    deployments = Deployments(parts)
    await _running(parts, deployments, 5)
    events.clear()

    deployments.wake(5)  # its earlier wake's answer was lost: the control plane waits

    assert [(e.status, e.deployment_id) for e in of_type(events, p.DeploymentStatus)] == [
        ("running", 5)
    ]
    deployments.sleep(5)
    await _done(deployments, 5)
    events.clear()

    deployments.sleep(5)

    assert [e.status for e in of_type(events, p.DeploymentStatus)] == ["sleeping"]
