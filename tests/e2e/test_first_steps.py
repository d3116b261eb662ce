"""A new admin's first minutes, in headless Chromium against a real `shoal up`."""

import pytest

from shoaltest.browser import sign_in

pytestmark = pytest.mark.e2e


async def test_admin_creates_a_team_and_a_user_who_then_signs_in(shoal_up, browser):
    admin = await browser.new_context(base_url=shoal_up.url)
    page = await admin.new_page()
    await page.goto("/")
    assert page.url.endswith("/login?next=/")
    await page.fill("#f-username", shoal_up.admin_user)
    await page.fill("#f-password", shoal_up.admin_password)
    await page.click("button[type=submit]")
    await page.wait_for_selector("text=Setting up Shoal")

    await page.goto("/teams")
    await page.fill("#f-name", "qa-<b>team</b>")
    await page.click("text=Create team")
    await page.wait_for_selector("text=Team 'qa-<b>team</b>' created.")
    assert await page.locator("h1").inner_text() == "qa-<b>team</b>"  # escaped, not markup

    await page.goto("/users")
    await page.fill("#f-username", "quinn")
    await page.fill("#f-display_name", "Quinn QA")
    await page.fill("#f-password", "quinn-password-1")
    await page.click("text=Create user")
    await page.wait_for_selector("text=User 'quinn' created.")

    await page.goto("/teams")
    await page.click("text=qa-<b>team</b>")
    await page.select_option("#f-user_id", label="quinn (Quinn QA)")
    await page.click("text=Add member")
    await page.wait_for_selector("text=Member added.")
    await admin.close()

    user, page = await sign_in(browser, shoal_up.url, "quinn", "quinn-password-1")
    await page.wait_for_selector("text=Hello, Quinn QA")
    assert await page.locator("summary", has_text="Admin").count() == 0  # no admin menu
    assert await page.locator("text=Your teams: qa-<b>team</b>").count() == 1
    response = await page.goto("/users")
    assert response.status == 404
    await user.close()


async def test_wrong_password_shows_one_generic_message(shoal_up, browser):
    context = await browser.new_context(base_url=shoal_up.url)
    page = await context.new_page()
    await page.goto("/login")
    await page.fill("#f-username", shoal_up.admin_user)
    await page.fill("#f-password", "definitely-wrong")
    await page.click("button[type=submit]")
    await page.wait_for_selector("text=Wrong username or password.")
    assert await page.input_value("#f-username") == shoal_up.admin_user
    await context.close()
