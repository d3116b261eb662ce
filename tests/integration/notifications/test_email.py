"""E-mail channels against a real SMTP server (aiosmtpd): a failed deployment's mail has a
plain-text and an HTML part naming the step and its error, with project secrets masked; a
server that refuses the login ends the delivery with the reason; personal channels send
through the `smtp_url` setting."""

from __future__ import annotations

from core import runtime
from core.notifications import channels, delivery, fanout
from core.notifications.channels import ChannelInput
from core.services import lifecycle
from core.settings import Settings
from core.tables import NotificationDelivery, PipelineRun, PipelineStep
from shoaltest.receivers import smtp_receiver

from .conftest import SECRET_VALUE


async def _fail_with_step(scene) -> None:
    run = await PipelineRun.select(PipelineRun.id).first().run()
    await PipelineStep.insert(
        PipelineStep(
            run=run["id"],
            node_id="migrate",
            kind="plugin",
            status="failed",
            error=f"psql: password {SECRET_VALUE} rejected",
        )
    ).run()
    assert await lifecycle.move(scene.deployment_id, "failed", error="step migrate failed")


async def _deliver_all() -> list[str]:
    await fanout.dispatch()
    rows = await NotificationDelivery.select(NotificationDelivery.id).run()
    return [await delivery.deliver(row["id"]) for row in rows]


async def test_a_failed_deployment_mails_plain_and_html_with_the_step_and_no_secret(scene):
    with smtp_receiver() as server:
        await channels.create_channel(
            scene.admin,
            ChannelInput(
                name="qa mail",
                kind="email",
                host="127.0.0.1",
                port=server.port,
                security="none",
                sender="shoal@example.com",
                to=["qa@example.com", "lead@example.com"],
                events=["failed"],
            ),
        )
        await _fail_with_step(scene)
        assert await _deliver_all() == ["delivered"]
        [mail] = await server.wait_for(1)
    assert mail["Subject"] == "[Shoal] pr-7 (shop in qa) failed"
    assert mail["From"] == "shoal@example.com"
    assert mail["To"] == "qa@example.com, lead@example.com"
    plain = mail.get_body(preferencelist=("plain",)).get_content()
    markup = mail.get_body(preferencelist=("html",)).get_content()
    for part in (plain, markup):
        assert "migrate" in part
        assert "rejected" in part
        assert f"http://shoal.test:8000/deployments/{scene.deployment_id}" in part
        assert SECRET_VALUE not in part
    assert "Failed step: migrate" in plain
    assert "<table" in markup


async def test_a_refused_smtp_login_ends_the_delivery_with_the_reason(scene):
    with smtp_receiver(login=("shoal", "right-password")) as server:
        await channels.create_channel(
            scene.admin,
            ChannelInput(
                name="mail",
                kind="email",
                host="127.0.0.1",
                port=server.port,
                security="none",
                username="shoal",
                password="wrong-password",
                sender="shoal@example.com",
                to=["qa@example.com"],
                events=["failed"],
            ),
        )
        await _fail_with_step(scene)
        assert await _deliver_all() == ["failed"]
        assert server.messages == []
    [row] = await NotificationDelivery.select().run()
    assert row["attempts"] == 1
    assert "refused the login" in row["last_error"] and "535" in row["last_error"]
    assert "wrong-password" not in str(row)


async def test_the_right_login_is_accepted_and_the_password_is_never_shown(scene):
    with smtp_receiver(login=("shoal", "right-password")) as server:
        channel = await channels.create_channel(
            scene.admin,
            ChannelInput(
                name="mail",
                kind="email",
                host="127.0.0.1",
                port=server.port,
                security="none",
                username="shoal",
                password="right-password",
                sender="shoal@example.com",
                to=["qa@example.com"],
                events=["ready"],
            ),
        )
        assert "right-password" not in str(channel)
        assert await lifecycle.move(scene.deployment_id, "running")
        assert await _deliver_all() == ["delivered"]
        assert len(await server.wait_for(1)) == 1


async def test_personal_mail_goes_through_the_smtp_url_setting(scene):
    from core.notifications import personal

    with smtp_receiver() as server:
        runtime.install(
            settings=Settings(
                public_url="http://shoal.test:8000",
                smtp_url=f"smtp://127.0.0.1:{server.port}",
                smtp_from="noreply@shoal.test",
            )
        )
        await personal.set_personal(scene.admin, enabled=True, email="me@example.com")
        assert await lifecycle.move(scene.deployment_id, "running")
        assert await _deliver_all() == ["delivered"]
        [mail] = await server.wait_for(1)
    assert mail["To"] == "me@example.com" and mail["From"] == "noreply@shoal.test"
    assert "pr-7" in mail["Subject"] and "is ready" in mail["Subject"]
