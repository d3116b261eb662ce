"""Notification pages and API: an admin adds channels (bad URLs refused with the input kept),
sees a generated signing secret once, sends a test and sees it in the delivery log; users set
their personal e-mail notifications on the Account page; the expiry message's extend link
works once, after sign-in."""

from __future__ import annotations

import datetime
import re

from core import crypto, runtime
from core.actor import Actor
from core.notifications import delivery, expiring
from core.services import accounts
from core.tables import (
    Deployment,
    Environment,
    NotificationChannel,
    NotificationDelivery,
    PipelineVersion,
    Project,
)
from shoaltest.db import insert_row
from shoaltest.receivers import http_receiver
from shoaltest.web import ADMIN_PASSWORD, api_client


async def test_a_bad_url_is_refused_with_the_form_kept(client, admin):
    runtime.install(box=crypto.SecretBox(crypto.generate_key()))
    await client.login("admin", ADMIN_PASSWORD)
    for url, why in [
        ("ftp://hooks.example.com/x", "http:// or https://"),
        ("http://127.0.0.1:8000/api/v1/environments", "control plane itself"),
    ]:
        response = await client.form(
            "/notifications/",
            {"name": "team chat", "kind": "slack", "url": url, "events": ["ready", "failed"]},
        )
        assert response.status_code == 422
        assert why in response.text, re.sub(r"\s+", " ", response.text)[-3000:]
        assert 'value="team chat"' in response.text
        assert url in response.text
        assert 'value="ready" checked' in response.text
        assert 'value="deleted" checked' not in response.text
    assert await NotificationChannel.count() == 0


async def test_add_a_webhook_send_a_test_and_see_it_in_the_log(client, admin):
    runtime.install(box=crypto.SecretBox(crypto.generate_key()))
    await client.login("admin", ADMIN_PASSWORD)
    with http_receiver() as receiver:
        response = await client.form(
            "/notifications/",
            {"name": "ci hook", "kind": "webhook", "url": receiver.url, "events": ["ready"]},
        )
        assert response.status_code == 200
        secret = re.search(r'id="signing-secret">([^<]+)<', response.text).group(1)
        assert "shown only this once" in response.text
        [channel] = await NotificationChannel.select(NotificationChannel.id).run()
        page = await client.page(f"/notifications/{channel['id']}")
        assert secret not in page.text and receiver.url not in page.text
        response = await client.form(f"/notifications/{channel['id']}/test", {})
        assert response.status_code in (302, 303)
        log = await client.get(f"/notifications/{channel['id']}/log")
        assert 'data-status="pending"' in log.text and 'hx-trigger="every 2s"' in log.text
        [row] = await NotificationDelivery.select(NotificationDelivery.id).run()
        assert await delivery.deliver(row["id"]) == "delivered"
        assert len(receiver.requests) == 1
    log = await client.get(f"/notifications/{channel['id']}/log")
    assert 'data-status="delivered"' in log.text and "every 2s" not in log.text
    assert secret not in log.text


async def test_the_api_refuses_bad_urls_and_shows_the_secret_once(web_app, admin):
    runtime.install(box=crypto.SecretBox(crypto.generate_key()))
    async with await api_client(web_app, admin) as api:
        bad = await api.post(
            "/api/v1/notification-channels",
            json={"name": "x", "kind": "teams", "url": "gopher://x.example"},
        )
        assert bad.status_code == 422 and bad.json()["status_code"] == 422
        assert "http:// or https://" in bad.json()["detail"]
        made = await api.post(
            "/api/v1/notification-channels",
            json={"name": "hook", "kind": "webhook", "url": "https://hooks.example.com/a"},
        )
        assert made.status_code == 201, made.text
        assert made.json()["signing_secret"]
        shown = await api.get(f"/api/v1/notification-channels/{made.json()['id']}")
        assert shown.json()["signing_secret"] is None
        assert "hooks.example.com/a" not in shown.text
        assert shown.json()["summary"] == "hooks.example.com"
        test = await api.post(f"/api/v1/notification-channels/{made.json()['id']}/test")
        assert test.status_code == 202 and test.json()["status"] == "pending"
        log = await api.get(f"/api/v1/notification-channels/{made.json()['id']}/deliveries")
        assert [d["kind"] for d in log.json()] == ["test"]


async def test_personal_notifications_on_the_account_page(client, admin):
    runtime.install(box=crypto.SecretBox(crypto.generate_key()))
    actor = Actor(admin.id, "admin", True)
    await accounts.create_user(actor, username="quinn", password="quinn-password-1")
    await client.login("quinn", "quinn-password-1")
    account = await client.page("/account")
    assert 'hx-get="/account/notifications"' in account.text
    fragment = await client.get("/account/notifications", headers={"HX-Request": "true"})
    assert 'id="personal-notifications"' in fragment.text and "<html" not in fragment.text
    refused = await client.form(
        "/account/notifications", {"enabled": "on", "email": "not an address", "events": []}
    )
    assert refused.status_code == 422 and 'value="not an address"' in refused.text
    saved = await client.form(
        "/account/notifications",
        {
            "enabled": "on",
            "email": "quinn@example.com",
            "events": ["ready", "failed"],
            "expiring_minutes": "30",
        },
    )
    assert saved.status_code in (302, 303)
    page = await client.get("/account/notifications")
    assert 'id="personal-enabled" checked' in page.text
    assert 'value="quinn@example.com"' in page.text
    assert 'value="deleted" checked' not in page.text


async def test_the_extend_link_works_once_after_sign_in(client, admin):
    runtime.install(box=crypto.SecretBox(crypto.generate_key()))
    env = await insert_row(Environment(name="qa", base_domain="qa.test", cleanup_hours=2))
    project = await insert_row(Project(name="shop", cpu=1.0, memory_mb=256))
    version = await insert_row(PipelineVersion(project=project, version=1, graph={}))
    expires = datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=10)
    dep = await insert_row(
        Deployment(
            project=project,
            environment=env,
            pipeline_version=version,
            name="pr-1",
            status="running",
            expires_at=expires,
        )
    )
    link = f"/deployments/{dep}/extend-link/{expiring.extend_token(dep, expires)}"
    anonymous = await client.get(link)
    assert anonymous.status_code in (302, 303)
    assert anonymous.headers["location"].startswith("/login?next=/deployments/")
    await client.login("admin", ADMIN_PASSWORD)
    done = await client.get(link)
    assert done.status_code in (302, 303) and done.headers["location"] == f"/deployments/{dep}"
    row = await Deployment.select(Deployment.expires_at).where(Deployment.id == dep).first()
    assert row["expires_at"] > expires + datetime.timedelta(minutes=60)
    again = await client.get(link)
    assert again.status_code in (302, 303)
    after = await Deployment.select(Deployment.expires_at).where(Deployment.id == dep).first()
    assert after["expires_at"] == row["expires_at"]  # out of date: nothing extended twice
    forged = await client.get(f"/deployments/{dep}/extend-link/v1:abc:def:ghi")
    assert forged.status_code in (302, 303)


async def test_a_refused_channel_edit_keeps_the_input_but_never_a_secret(client, admin):
    runtime.install(box=crypto.SecretBox(crypto.generate_key()))
    await client.login("admin", ADMIN_PASSWORD)
    fields = {"name": "chat", "kind": "slack", "url": "https://hooks.example.com/a"}
    made = await client.form("/notifications/", {**fields, "events": ["ready"]})
    assert made.status_code == 303, made.text
    typed = {"name": "renamed", "url": "ftp://hooks.example.com/b", "secret": "typed-secret"}
    refused = await client.form(
        made.headers["location"], {**fields, **typed, "events": ["failed", "deleted"]}
    )
    assert refused.status_code == 422 and "http:// or https://" in refused.text
    assert 'value="renamed"' in refused.text and "ftp://hooks.example.com/b" in refused.text
    assert 'value="failed" checked' in refused.text and 'value="deleted" checked' in refused.text
    assert 'value="ready" checked' not in refused.text
    assert "typed-secret" not in refused.text


async def test_a_refused_personal_save_in_place_keeps_every_choice(client, admin):
    """Under HTMX the refusal is the section itself (no page around it), with the input kept."""
    await client.login("admin", ADMIN_PASSWORD)
    refused = await client.post(
        "/account/notifications",
        data={"csrf_token": client.csrf, "enabled": "on", "email": "nope", "events": ["failed"]},
        headers={"HX-Request": "true"},
    )
    assert refused.status_code == 422 and "<html" not in refused.text
    assert 'value="nope"' in refused.text and 'aria-describedby="e-email"' in refused.text
    assert 'value="failed" checked' in refused.text
    assert 'value="ready" checked' not in refused.text
