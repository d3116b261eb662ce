"""An admin adds a webhook channel in headless Chromium against a real `shoal up`, sees its
signing secret once, clicks "Send test" and watches the delivery arrive in the channel's log
(the log refreshes itself) while a local receiver gets the signed test event."""

import hashlib
import hmac
import json

import pytest

from shoaltest.browser import sign_in
from shoaltest.receivers import http_receiver

pytestmark = pytest.mark.e2e


async def test_create_a_channel_send_a_test_and_see_it_delivered(shoal_up, browser):
    context, page = await sign_in(
        browser, shoal_up.url, shoal_up.admin_user, shoal_up.admin_password
    )
    with http_receiver() as receiver:
        await page.goto("/notifications")
        await page.fill("#f-name", "browser hook")
        await page.select_option("#f-kind", "webhook")
        await page.fill("#f-url", receiver.url)
        await page.click("text=Add channel")
        await page.wait_for_selector("text=shown only this once")
        secret = (await page.locator("#signing-secret").inner_text()).strip()

        await page.click("#send-test")
        await page.wait_for_selector("text=Test message queued")
        await page.wait_for_selector("tr.delivery[data-status=delivered]", timeout=30_000)
        [request] = await receiver.wait_for(1)
    assert "test" in await page.locator("tr.delivery").first.inner_text()
    parts = dict(item.split("=", 1) for item in request.headers["X-Shoal-Signature"].split(","))
    signed = parts["t"].encode() + b"." + request.body
    assert hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest() == parts["v1"]
    assert json.loads(request.body)["kind"] == "test"
    assert page.js_errors == []
    await context.close()
