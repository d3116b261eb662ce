"""Nightly schedules with the real database, the real registry and an injected clock (issue 20):
a due run makes the deployment once even when the job runs twice at the same time, with the
newest tag matching the schedule's pattern; nothing happens before the cron fires; bad cron
expressions and time zones are refused naming the field."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from core.errors import InvalidInput
from core.services import accounts, registries, schedule_next, schedule_runs, schedules, teams
from core.services.schedules import ScheduleInput
from core.tables import Deployment, Schedule, Service
from shoaltest.registry import RegistryServer
from shoaltest.web import api_client

pytestmark = pytest.mark.docker

BERLIN = "Europe/Berlin"


@pytest.fixture
async def nightly(world, registry: RegistryServer, busybox_image: str) -> int:
    for tag in ("v1", "v2", "v10", "x99"):
        registry.push(busybox_image, "sched/web", tag)
    real = await registries.create_registry(
        world.admin,
        registries.RegistryInput(
            name="real", url=registry.url, username=registry.username, password=registry.password
        ),
    )
    await (
        Service.update({Service.registry: real.id, Service.image: "sched/web"})
        .where(Service.name == "web")
        .run()
    )
    schedule_id = await schedules.create_schedule(
        world.admin,
        world.project_id,
        ScheduleInput(
            kind="nightly",
            time_zone=BERLIN,
            cron="0 6 * * 1-5",
            environment_id=world.env_id,
            deployment_name="nightly",
            tag_patterns={"web": "v*"},
        ),
    )
    # Made on Sunday evening, Berlin time.
    made = datetime(2026, 1, 11, 20, tzinfo=UTC)
    await Schedule.update({Schedule.created_at: made}).where(Schedule.id == schedule_id).run()
    return schedule_id


async def nightlies(world) -> list[dict]:
    return await (
        Deployment.select(Deployment.id, Deployment.tags, Deployment.status)
        .where(Deployment.project == world.project_id, Deployment.name == "nightly")
        .output(load_json=True)
        .run()
    )


async def test_a_due_run_makes_one_deployment_even_when_the_job_runs_twice(world, nightly):
    before = datetime(2026, 1, 12, 4, 59, tzinfo=UTC)  # Monday 05:59 in Berlin
    assert (await schedule_runs.run_schedules(before))["created"] == 0
    assert await nightlies(world) == []

    due = datetime(2026, 1, 12, 5, 0, 30, tzinfo=UTC)  # Monday 06:00:30 in Berlin
    results = await asyncio.gather(
        schedule_runs.run_schedules(due), schedule_runs.run_schedules(due)
    )
    assert sorted(r["created"] for r in results) == [0, 1]
    assert (await schedule_runs.run_schedules(due))["created"] == 0

    made = await nightlies(world)
    assert len(made) == 1
    assert made[0]["tags"]["web"] == "v10"  # the newest v* tag, not x99
    row = await schedules.schedule_row(nightly)
    assert row["last_run_at"] == due


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"cron": "0 25 * * *"}, "cron"),
        ({"cron": "every night"}, "cron"),
        ({"time_zone": "Europe/Atlantis"}, "time_zone"),
        ({"tag_patterns": {"web": "v[*"}}, "tag_pattern_web"),
        ({"environment_id": None}, "environment_id"),
        ({"deployment_name": "Not A Label!"}, "deployment_name"),
        ({"tag_patterns": {"web": ""}}, None),
    ],
)
async def test_bad_nightly_input_is_refused_naming_the_field(world, change, field):
    data = {
        "kind": "nightly",
        "time_zone": BERLIN,
        "cron": "0 6 * * 1-5",
        "environment_id": world.env_id,
        **change,
    }
    if field is None:  # an empty pattern means "the service's own pattern": accepted
        await schedules.create_schedule(world.admin, world.project_id, ScheduleInput(**data))
        return
    with pytest.raises(InvalidInput) as refused:
        await schedules.create_schedule(world.admin, world.project_id, ScheduleInput(**data))
    assert refused.value.field == field
    assert await Schedule.count().run() == 0


async def test_office_hours_end_before_they_start_is_refused(world):
    with pytest.raises(InvalidInput) as refused:
        await schedules.create_schedule(
            world.admin,
            world.project_id,
            ScheduleInput(kind="office_hours", start_time="19:00", end_time="08:00"),
        )
    assert refused.value.field == "end_time"


async def test_two_workers_that_read_the_same_row_make_one_run(world, nightly):
    # Both read the schedule before either claimed it: the compare-and-set on last_run_at
    # lets one through; the other neither deletes the new deployment nor makes a second one.
    row = await schedules.schedule_row(nightly)
    due = datetime(2026, 1, 12, 5, 0, 30, tzinfo=UTC)
    first = await schedule_runs.run_nightly(dict(row), due)
    second = await schedule_runs.run_nightly(dict(row), due)
    assert first is not None and second is None
    made = await nightlies(world)
    assert [(d["id"], d["status"]) for d in made] == [(first, made[0]["status"])]
    assert made[0]["status"] != "deleted"


async def test_api_keeps_schedules_and_answers_bad_input_with_the_field(web_app, world):
    admin = await accounts.get_user(world.admin.id or 0)
    user = await accounts.get_user(world.user.id or 0)
    base = f"/api/v1/projects/{world.project_id}/schedules"
    hours = {"kind": "office_hours", "time_zone": BERLIN, "days": ["mon", "fri"]}
    async with await api_client(web_app, admin) as api:
        bad = await api.post(base, json={**hours, "time_zone": "Berlin/Nowhere"})
        assert bad.status_code == 422
        assert bad.json()["status_code"] == 422 and "Berlin/Nowhere" in bad.json()["detail"]
        made = await api.post(base, json=hours)
        assert made.status_code == 201, made.text
        view = made.json()
        assert view["days"] == ["mon", "fri"] and view["next_at"] is not None
        bad_cron = await api.put(
            f"/api/v1/schedules/{view['id']}",
            json={"kind": "nightly", "cron": "0 6 * *", "environment_id": world.env_id},
        )
        assert bad_cron.status_code == 422
        assert [v["id"] for v in (await api.get(base)).json()] == [view["id"]]
    async with await api_client(web_app, user) as api:
        assert (await api.post(base, json=hours)).status_code == 404  # the project is not visible
        assert (await api.delete(f"/api/v1/schedules/{view['id']}")).status_code == 403
    async with await api_client(web_app, admin) as api:
        assert (await api.delete(f"/api/v1/schedules/{view['id']}")).status_code == 204
        assert (await api.get(base)).json() == []


async def test_the_deployment_page_says_when_the_nightly_run_replaces_it(
    web_app, world, client, nightly
):
    due = datetime(2026, 1, 12, 5, 0, 30, tzinfo=UTC)
    made = await schedule_runs.run_nightly(await schedules.schedule_row(nightly), due)
    assert made is not None
    # The next run after the real now (the schedule's last run is in the past).
    what = await schedule_next.next_for_deployment(
        world.project_id, world.env_id, "nightly", "pending"
    )
    assert what is not None and what[0] == "is replaced"
    assert (await client.login("admin", "admin-password-1")).status_code == 303
    page = await client.get(f"/deployments/{made}")
    assert page.status_code == 200
    assert 'id="scheduled"' in page.text and "is replaced" in page.text
    other = await schedule_next.next_for_deployment(
        world.project_id, world.env_id, "pr-1", "pending"
    )
    assert other is None


async def test_the_schedules_page_keeps_input_on_an_error_and_adds_and_deletes(
    web_app, world, client
):
    base = f"/projects/{world.project_id}/schedules"
    assert (await client.login("admin", "admin-password-1")).status_code == 303
    assert (await client.get(base)).status_code == 200
    project_page = await client.get(f"/projects/{world.project_id}")
    assert f'href="{base}"' in project_page.text
    bad = await client.form(
        base + "/",
        {
            "kind": "nightly",
            "time_zone": "Europe/Berlin",
            "cron": "0 6 * *",
            "environment_id": str(world.env_id),
            "deployment_name": "nightly",
            "tag_patterns": "web=v*",
        },
    )
    assert bad.status_code == 422
    assert 'id="e-cron"' in bad.text and 'value="0 6 * *"' in bad.text and "web=v*" in bad.text
    made = await client.form(
        base + "/",
        {"kind": "office_hours", "time_zone": "Europe/Berlin", "days": "mon fri",
         "start_time": "08:00", "end_time": "19:00"},
    )  # fmt: skip
    assert made.status_code == 303
    listed = await client.get(base)
    assert "Office hours" in listed.text and "mon, fri 08:00\u201319:00" in listed.text
    (row,) = await schedules.schedules_of_project(world.project_id)
    assert (await client.form(f"{base}/{row['id']}/delete", {})).status_code == 303
    assert await schedules.schedules_of_project(world.project_id) == []
    await client.login("quinn", "quinn-password-1")
    assert (await client.get(base)).status_code == 404


async def test_a_refused_schedule_delete_is_an_alert_on_the_schedules_page(web_app, world, client):
    """The form helper: a user who sees the project but is no admin gets the reason on the
    Schedules page with the refusal's status, and the schedule stays."""
    await teams.grant(world.admin, world.team_id, "project", world.project_id, "read")
    made = await schedules.create_schedule(
        world.admin,
        world.project_id,
        ScheduleInput(kind="office_hours", time_zone=BERLIN, days=["mon"], start_time="08:00",
                      end_time="19:00"),
    )  # fmt: skip
    assert (await client.login("quinn", "quinn-password-1")).status_code == 303
    base = f"/projects/{world.project_id}/schedules"
    refused = await client.form(f"{base}/{made}/delete", {})
    assert refused.status_code == 403
    assert 'class="toast toast-error" role="alert"' in refused.text
    assert "Office hours" in refused.text  # the Schedules page, not an error page
    assert len(await schedules.schedules_of_project(world.project_id)) == 1
