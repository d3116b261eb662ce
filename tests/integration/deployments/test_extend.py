"""Extend for a chosen time: 1 hour up to the cleanup period (the project's, else the
environment's), the whole period by default; the service, the API body and the page's select."""

from datetime import UTC, datetime, timedelta

import pytest

from core.errors import InvalidInput
from core.services import deployment_actions as actions
from core.services import deployments
from core.tables import AuditEvent, Deployment, Environment, Project
from shoaltest.web import api_client


def hours_left(dep) -> float:
    return (dep.expires_at - datetime.now(UTC)) / timedelta(hours=1)


async def test_the_service_extends_by_the_hours_asked_and_by_the_whole_period_by_default(world):
    dep = await world.deploy("pr-1")
    assert 3.9 < hours_left(await actions.extend(world.admin, dep.id, 4)) <= 4
    assert 167.9 < hours_left(await actions.extend(world.admin, dep.id)) <= 168  # the env's 168
    await Project.update({Project.cleanup_hours: 24}).where(Project.id == world.project_id).run()
    assert 23.9 < hours_left(await actions.extend(world.admin, dep.id)) <= 24  # the project's
    with pytest.raises(InvalidInput, match="1 to 24 hours"):
        await actions.extend(world.admin, dep.id, 25)
    refusals = (
        await AuditEvent.count()
        .where((AuditEvent.action == "deployment.extend") & (AuditEvent.outcome == "refused"))
        .run()
    )
    assert refusals == 1


async def test_the_api_takes_hours_in_the_body_and_answers_422_beyond_the_period(web_app, world):
    from core.services import accounts

    dep = await world.deploy("pr-2")
    admin = await accounts.get_user(world.admin.id)
    async with await api_client(web_app, admin) as api:
        two = await api.post(f"/api/v1/deployments/{dep.id}/extend", json={"hours": 2})
        whole = await api.post(f"/api/v1/deployments/{dep.id}/extend")
        answers = [
            await api.post(f"/api/v1/deployments/{dep.id}/extend", json={"hours": hours})
            for hours in (0, -1, 169, 10**6)
        ]
    assert two.status_code == 200
    left = (datetime.fromisoformat(two.json()["expires_at"]) - datetime.now(UTC)) / timedelta(
        hours=1
    )
    assert 1.9 < left <= 2
    assert whole.status_code == 200 and whole.json()["expires_at"] > two.json()["expires_at"]
    for refused in answers:
        assert refused.status_code == 422, refused.text
        assert "1 to 168 hours" in refused.json()["detail"]


async def test_the_page_offers_durations_up_to_the_period_and_delete_stays_quiet(world, client):
    await (
        Environment.update({Environment.cleanup_hours: 48})
        .where(Environment.id == world.env_id)
        .run()
    )
    dep = await world.deploy("pr-3")
    await client.login("admin", "admin-password-1")
    page = (await client.page(f"/deployments/{dep.id}")).text
    assert '<select name="hours" aria-label="Extend by">' in page
    for hours, label in ((1, "1 hour"), (24, "1 day")):
        assert f'<option value="{hours}">{label}</option>' in page
    assert '<option value="48" selected>2 days</option>' in page and 'value="72"' not in page
    # Extend is the filled button; Delete is an outline one, never the loudest on the page
    assert '<button type="submit">Extend</button>' in page
    assert 'class="secondary outline danger">Cancel</button>' in page  # pending: Delete = Cancel
    assert 'class="contrast">' not in page

    extended = await client.form(f"/deployments/{dep.id}/extend", {"hours": "8"})
    assert extended.status_code == 303
    assert 7.9 < hours_left(await deployments.get_deployment(world.admin, dep.id)) <= 8
    refused = await client.form(f"/deployments/{dep.id}/extend", {"hours": "500"})
    assert refused.status_code == 303  # back to the page, with the reason as an error toast
    shown = (await client.page(f"/deployments/{dep.id}")).text
    assert "Extend by 1 to 48 hours" in shown and "toast-error" in shown


async def test_extending_a_deployment_that_cannot_be_is_a_toast_on_its_page(world, client):
    """The form helper (forms.act): a refusal about the deployment's state comes back to its
    page as an error notice, not an error page."""
    dep = await world.deploy("pr-4")
    await Deployment.update({Deployment.status: "deleting"}).where(Deployment.id == dep.id).run()
    await client.login("admin", "admin-password-1")
    refused = await client.form(f"/deployments/{dep.id}/extend", {"hours": "8"})
    assert refused.status_code == 303 and refused.headers["location"] == f"/deployments/{dep.id}"
    shown = (await client.page(f"/deployments/{dep.id}")).text
    assert "cannot be extended" in shown and "toast-error" in shown
