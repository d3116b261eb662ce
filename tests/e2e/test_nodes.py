"""An admin adds a node in headless Chromium against a real `shoal up`, starts its agent with
the token shown once, and watches the status badge change without reloading the page."""

import asyncio

import pytest

from shoaltest.browser import sign_in

pytestmark = pytest.mark.e2e


async def test_node_badge_goes_online_and_offline_live(shoal_up, browser, agent_factory):
    context, page = await sign_in(
        browser, shoal_up.url, shoal_up.admin_user, shoal_up.admin_password
    )

    await page.goto("/environments")
    await page.fill("#f-name", "live")
    await page.fill("#f-base_domain", "live.localhost")
    await page.click("text=Create environment")
    await page.wait_for_selector("text=Environment 'live' created.")
    environment_url = page.url

    agent = agent_factory(start=False)
    await page.fill("input[name=host]", "127.0.0.1")
    await page.fill("input[name=port]", str(agent.port))
    await page.fill("input[name=name]", "browser-node")
    await page.click("text=Add node")
    await page.wait_for_selector("text=shown this once")
    agent.token = (await page.locator("#node-token code").inner_text()).strip()
    assert agent.token in await page.locator("pre code").nth(1).inner_text()  # docker run

    await page.goto(environment_url)
    badge = page.locator("[id^=node-badge-]")
    assert (await badge.inner_text()).startswith(("offline", "auth failed"))
    await asyncio.to_thread(agent.start)
    await page.wait_for_selector("[id^=node-badge-]:has-text('online')", timeout=15_000)
    agent.kill()
    await page.wait_for_selector("[id^=node-badge-]:has-text('offline')", timeout=15_000)

    await page.click("text=browser-node")
    await page.wait_for_selector("text=Health")
    assert await page.locator("svg.usage-chart").count() == 2
    await context.close()
