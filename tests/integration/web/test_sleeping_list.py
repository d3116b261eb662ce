"""The deployment list and page show a sleeping deployment and when its project's office hours
wake it, or when a nightly run replaces a deployment (issue 20)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.tables import Deployment, Environment, PipelineVersion, Project, Schedule
from shoaltest.db import insert_row
from shoaltest.web import ADMIN_PASSWORD

ALL_WEEK = [0, 1, 2, 3, 4, 5, 6]


@pytest.fixture
async def shop(db, admin):
    env = await insert_row(Environment(name="qa", base_domain="shoal.test"))
    project = await insert_row(Project(name="shop"))
    graph = {"nodes": [{"id": "web", "kind": "service", "config": {"port": 8080}}], "edges": []}
    version = await insert_row(PipelineVersion(project=project, version=1, graph=graph))

    async def deployment(name: str, status: str) -> int:
        return await insert_row(
            Deployment(
                project=project, environment=env, pipeline_version=version, name=name,
                status=status, ports={"web": 8080},
                expires_at=datetime.now(UTC) + timedelta(days=1),
            )
        )  # fmt: skip

    return env, project, deployment


async def test_the_list_and_page_say_when_office_hours_wake_a_sleeping_deployment(client, shop):
    env, project, deployment = shop
    asleep = await deployment("pr-1", "sleeping")
    awake = await deployment("pr-2", "running")
    # The nightly one in a project of its own, without office hours: in `shop` the earliest
    # next event would be the 23:59 sleep whenever the test runs after 06:00 UTC.
    nightly_project = await insert_row(Project(name="reports"))
    empty = {"nodes": [], "edges": []}
    version = await insert_row(PipelineVersion(project=nightly_project, version=1, graph=empty))
    nightly = await insert_row(
        Deployment(
            project=nightly_project, environment=env, pipeline_version=version, name="nightly",
            status="running", expires_at=datetime.now(UTC) + timedelta(days=1),
        )
    )  # fmt: skip
    # Office hours from midnight to 23:59 UTC every day: the next wake is the next midnight.
    midnight = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    next_wake = midnight + timedelta(days=1)
    await insert_row(
        Schedule(
            project=project, kind="office_hours", time_zone="UTC", days=ALL_WEEK,
            start_time="00:00", end_time="23:59",
        )
    )  # fmt: skip
    await insert_row(
        Schedule(
            project=nightly_project, kind="nightly", time_zone="UTC", cron="0 6 * * *",
            environment=env, deployment_name="nightly",
        )
    )  # fmt: skip
    await client.login("admin", ADMIN_PASSWORD)

    listing = (await client.get("/deployments")).text
    row = listing.split(f'id="deployment-{asleep}"')[1].split("</tr>")[0]
    assert 'class="badge sleeping"' in row and "wakes <time" in row
    assert next_wake.strftime("%Y-%m-%d 00:00 UTC") in row
    assert "sleeps <time" in listing.split(f'id="deployment-{awake}"')[1].split("</tr>")[0]
    assert "is replaced <time" in listing.split(f'id="deployment-{nightly}"')[1].split("</tr>")[0]

    page = (await client.get(f"/deployments/{asleep}")).text
    assert 'id="sleeping"' in page and 'id="scheduled"' in page and "it wakes" in page


async def test_a_running_deployment_page_shows_its_idle_period_and_last_traffic(client, shop):
    env, _, deployment = shop
    running = await deployment("pr-3", "running")
    await client.login("admin", ADMIN_PASSWORD)
    assert 'id="idle"' not in (await client.get(f"/deployments/{running}")).text  # off
    await Environment.update({Environment.idle_minutes: 30}).where(Environment.id == env).run()
    seen = datetime.now(UTC) - timedelta(minutes=4)
    await Deployment.update({Deployment.last_active_at: seen}).where(Deployment.id == running)
    page = (await client.get(f"/deployments/{running}")).text
    assert 'id="idle"' in page and "after 30 minutes without requests" in page
    assert "last traffic seen" in page and "4 minutes ago" in page
