"""Editing schedules and an environment's office hours through the pages and the API (issue
20): refused input comes back beside its field with the input kept; who may change what."""

from __future__ import annotations

from core.services import accounts, schedules, teams
from core.services.schedules import ScheduleInput
from shoaltest.web import api_client

BERLIN = "Europe/Berlin"
HOURS = {"kind": "office_hours", "time_zone": BERLIN, "days": "mon fri"}


async def test_a_project_schedule_is_edited_with_errors_beside_their_fields(web_app, world, client):
    made = await schedules.create_schedule(
        world.admin, world.project_id, ScheduleInput(time_zone=BERLIN, days=["mon"])
    )
    base = f"/projects/{world.project_id}/schedules"
    assert (await client.login("admin", "admin-password-1")).status_code == 303
    assert f'href="{base}/{made}/edit"' in (await client.get(base)).text
    form = await client.get(f"{base}/{made}/edit")
    assert form.status_code == 200 and 'value="Europe/Berlin"' in form.text
    for bad, field in (
        ({"start_time": "19:00", "end_time": "08:00"}, "end_time"),
        ({"time_zone": "Europe/Atlantis", "start_time": "08:00", "end_time": "19:00"}, "time_zone"),
    ):
        refused = await client.form(f"{base}/{made}/edit", {**HOURS, **bad})
        assert refused.status_code == 422
        assert f'id="e-{field}"' in refused.text and f'value="{bad[field]}"' in refused.text
    bad_cron = {"kind": "nightly", "time_zone": BERLIN, "cron": "0 6 * *",
                "environment_id": str(world.env_id), "deployment_name": "nightly"}  # fmt: skip
    refused = await client.form(f"{base}/{made}/edit", bad_cron)
    assert refused.status_code == 422 and 'id="e-cron"' in refused.text
    assert 'value="0 6 * *"' in refused.text
    saved = await client.form(
        f"{base}/{made}/edit", {**HOURS, "start_time": "07:30", "end_time": "16:00"}
    )
    assert saved.status_code == 303
    row = await schedules.schedule_row(made)
    assert (row["days"], row["start_time"], row["end_time"]) == ([0, 4], "07:30", "16:00")
    other = await schedules.create_environment_schedule(
        world.admin, world.env_id, ScheduleInput(time_zone=BERLIN)
    )
    assert (await client.get(f"{base}/{other}/edit")).status_code == 404  # not this project's


async def test_read_access_sees_project_schedules_but_cannot_edit(web_app, world, client):
    made = await schedules.create_schedule(
        world.admin, world.project_id, ScheduleInput(time_zone=BERLIN)
    )
    await teams.grant(world.admin, world.team_id, "project", world.project_id, "read")
    base = f"/projects/{world.project_id}/schedules"
    assert (await client.login("quinn", "quinn-password-1")).status_code == 303
    listed = await client.get(base)
    assert listed.status_code == 200 and "/edit" not in listed.text
    refused = await client.form(f"{base}/{made}/edit", {**HOURS, "end_time": "12:00"})
    assert refused.status_code == 403 and 'role="alert"' in refused.text
    assert (await schedules.schedule_row(made))["end_time"] == "19:00"


async def test_an_environment_admin_keeps_its_office_hours_on_its_page(web_app, world, client):
    base = f"/environments/{world.env_id}/schedules"
    assert (await client.login("quinn", "quinn-password-1")).status_code == 303
    assert (await client.get(base)).status_code == 404  # no grant: invisible
    await teams.grant(world.admin, world.team_id, "environment", world.env_id, "read")
    read_only = await client.get(base)
    assert read_only.status_code == 200 and "Add office hours" not in read_only.text
    await teams.grant(world.admin, world.team_id, "environment", world.env_id, "full")
    assert f'href="{base}"' in (await client.get(f"/environments/{world.env_id}")).text
    bad = await client.form(base + "/", {**HOURS, "time_zone": "Mars/Base", "end_time": "18:00"})
    assert bad.status_code == 422 and 'id="e-time_zone"' in bad.text
    assert 'value="Mars/Base"' in bad.text and 'value="18:00"' in bad.text
    made = await client.form(base + "/", {**HOURS, "start_time": "08:00", "end_time": "18:00"})
    assert made.status_code == 303
    (row,) = await schedules.schedules_of_environment(world.env_id)
    assert (row["project"], row["environment"]) == (None, world.env_id)
    edited = await client.form(
        f"{base}/{row['id']}/edit", {**HOURS, "start_time": "08:00", "end_time": "start"}
    )
    assert edited.status_code == 422 and 'id="e-end_time"' in edited.text
    edited = await client.form(
        f"{base}/{row['id']}/edit", {**HOURS, "start_time": "09:00", "end_time": "17:00"}
    )
    assert edited.status_code == 303
    assert (await schedules.schedule_row(row["id"]))["start_time"] == "09:00"
    assert (await client.form(f"{base}/{row['id']}/delete", {})).status_code == 303
    assert await schedules.schedules_of_environment(world.env_id) == []


async def test_api_keeps_environment_office_hours(web_app, world):
    admin = await accounts.get_user(world.admin.id or 0)
    user = await accounts.get_user(world.user.id or 0)
    base = f"/api/v1/environments/{world.env_id}/schedules"
    hours = {"kind": "office_hours", "time_zone": BERLIN, "days": ["mon", "fri"]}
    async with await api_client(web_app, user) as api:
        assert (await api.get(base)).status_code == 404
    async with await api_client(web_app, admin) as api:
        nightly = {"kind": "nightly", "cron": "0 6 * * *", "environment_id": world.env_id}
        refused = await api.post(base, json=nightly)
        assert refused.status_code == 422 and refused.json()["status_code"] == 422
        made = await api.post(base, json=hours)
        assert made.status_code == 201, made.text
        view = made.json()
        assert view["scope"] == "environment" and view["project_id"] is None
        changed = await api.put(
            f"/api/v1/schedules/{view['id']}", json={**hours, "end_time": "17:00"}
        )
        assert changed.status_code == 200 and changed.json()["end_time"] == "17:00"
        assert [v["id"] for v in (await api.get(base)).json()] == [view["id"]]
    await teams.grant(world.admin, world.team_id, "environment", world.env_id, "read")
    async with await api_client(web_app, user) as api:
        assert (await api.get(base)).status_code == 200
        assert (await api.post(base, json=hours)).status_code == 403
        assert (await api.put(f"/api/v1/schedules/{view['id']}", json=hours)).status_code == 403
