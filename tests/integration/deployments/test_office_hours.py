"""Office hours with the real services, SAQ worker, hub, an agent process and dockerd, and an
injected clock (issue 20): the end of the day puts a running deployment to sleep (containers
stopped, not removed), a tick between transitions changes nothing, and the start of the next
day wakes it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from core import runtime
from core.jobs import make_worker
from core.services import schedule_runs, schedules
from core.services.schedules import ScheduleInput
from core.settings import Settings
from core.tables import Node
from shoaltest.httpd_project import deploy, deployment_reaches, httpd_project
from shoaltest.hub import add_node_with_agent, wait_status

pytestmark = pytest.mark.docker


@pytest.fixture
async def scene(hub, hub_env, agent_factory, busybox_image, queue) -> AsyncIterator[Any]:
    admin, env_id = hub_env
    runtime.install(settings=Settings())
    node, _agent = await add_node_with_agent(agent_factory, admin, env_id)
    await wait_status(node.id, "online")
    # Other work on this shared machine must not decide what fits: only allocations count.
    await Node.update({Node.cpu_reserve: 4096.0}).where(Node.id == node.id).run()
    project_id = await httpd_project(admin, "office", services=("web",))
    worker = make_worker(queue, 2, handle_signals=False)
    worker_task = asyncio.create_task(worker.start())
    yield admin, env_id, project_id
    await worker.stop()
    worker_task.cancel()


async def test_the_day_ends_and_starts_with_a_sleep_and_a_wake(scene):
    admin, env_id, project_id = scene
    dep_id = await deploy(admin, project_id, env_id, "pr-1")
    running = await deployment_reaches(dep_id, "running", "failed")
    assert running["status"] == "running", running["error"]
    await schedules.create_schedule(
        admin,
        project_id,
        ScheduleInput(
            kind="office_hours",
            time_zone="Europe/Berlin",
            days=["mon", "tue", "wed", "thu", "fri"],
            start_time="08:00",
            end_time="19:00",
        ),
    )
    evening = datetime(2026, 1, 12, 18, 0, 30, tzinfo=UTC)  # Monday 19:00:30 in Berlin
    assert (await schedule_runs.run_schedules(evening))["slept"] == 1
    asleep = await deployment_reaches(dep_id, "sleeping", "failed", within=60)
    assert asleep["status"] == "sleeping", asleep["error"]
    # Between transitions nothing is forced, and the same transition is not applied twice.
    later = datetime(2026, 1, 12, 21, tzinfo=UTC)
    assert await schedule_runs.run_schedules(later) == {"slept": 0, "woke": 0, "created": 0}

    morning = datetime(2026, 1, 13, 7, 0, 30, tzinfo=UTC)  # Tuesday 08:00:30 in Berlin
    assert (await schedule_runs.run_schedules(morning))["woke"] == 1
    awake = await deployment_reaches(dep_id, "running", "failed", within=90)
    assert awake["status"] == "running", awake["error"]


async def test_environment_hours_sleep_any_project_and_a_project_own_hours_win(scene):
    admin, env_id, project_id = scene
    own_hours = await httpd_project(admin, "late", services=("web",))
    governed = await deploy(admin, project_id, env_id, "pr-1")
    exempt = await deploy(admin, own_hours, env_id, "pr-2")
    for dep_id in (governed, exempt):
        running = await deployment_reaches(dep_id, "running", "failed")
        assert running["status"] == "running", running["error"]
    weekdays = ["mon", "tue", "wed", "thu", "fri"]
    await schedules.create_environment_schedule(
        admin,
        env_id,
        ScheduleInput(
            time_zone="Europe/Berlin", days=weekdays, start_time="08:00", end_time="19:00"
        ),
    )
    await schedules.create_schedule(
        admin,
        own_hours,
        ScheduleInput(
            time_zone="Europe/Berlin", days=weekdays, start_time="08:00", end_time="23:00"
        ),
    )
    evening = datetime(2026, 1, 12, 18, 0, 30, tzinfo=UTC)  # Monday 19:00:30 in Berlin
    assert (await schedule_runs.run_schedules(evening))["slept"] == 1
    asleep = await deployment_reaches(governed, "sleeping", "failed", within=60)
    assert asleep["status"] == "sleeping", asleep["error"]
    assert (await deployment_reaches(exempt, "running", "failed"))["status"] == "running"

    morning = datetime(2026, 1, 13, 7, 0, 30, tzinfo=UTC)  # Tuesday 08:00:30 in Berlin
    assert (await schedule_runs.run_schedules(morning))["woke"] == 1
    awake = await deployment_reaches(governed, "running", "failed", within=90)
    assert awake["status"] == "running", awake["error"]
