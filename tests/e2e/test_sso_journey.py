"""Single sign-on in a browser: a real `shoal up` configured (SHOAL_OIDC_PROVIDERS) with a
real OpenID provider process; the admin maps groups to teams in the UI; a user signs in
with the provider, lands on the home page with the teams their groups give, and after the
provider changes their groups, signs in again and the teams follow. Forged callbacks get a
page saying why, and no session."""

from __future__ import annotations

import json

import pytest

from shoaltest.browser import running_shoal_up, sign_in

TIMEOUT_MS = 60_000  # two cores shared by many: generous


@pytest.fixture(scope="module")
def sso_shoal(oidc_provider):
    providers = json.dumps([oidc_provider.setting()])
    with running_shoal_up(SHOAL_OIDC_PROVIDERS=providers) as shoal:
        yield shoal


async def _admin_maps_groups(browser, shoal) -> None:
    context, page = await sign_in(browser, shoal.url, shoal.admin_user, shoal.admin_password)
    page.set_default_timeout(TIMEOUT_MS)
    for team in ("qa", "web"):
        await page.goto("/teams/")
        await page.fill("#f-name", team)
        await page.click("button:has-text('Create team')")
        await page.wait_for_url("**/teams/*")
    await page.goto("/sso/")
    await page.click("a:has-text('mock')")
    await page.wait_for_selector("text=This provider comes from")
    for group, team in (("qa-people", "qa"), ("webdev", "web")):
        await page.fill("#f-group_name", group)
        await page.select_option("#f-team_id", label=team)
        await page.click("button:has-text('Map group')")
        await page.wait_for_selector(f"td code:has-text('{group}')")
    await context.close()


async def _sign_in_with_provider(browser, shoal, sub: str):
    context = await browser.new_context(base_url=shoal.url)
    page = await context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    await page.goto("/login")
    await page.click("a:has-text('Sign in with Mock SSO')")
    await page.wait_for_selector("input[name=sub]")  # the provider's own page
    await page.fill("input[name=sub]", sub)
    await page.click("button:has-text('Authorize')")
    await page.wait_for_url(f"{shoal.url}/")
    return context, page


async def test_sign_in_with_the_provider_and_teams_follow_its_groups(
    browser, sso_shoal, oidc_provider
):
    await _admin_maps_groups(browser, sso_shoal)
    oidc_provider.set_user(
        "alice-sso", preferred_username="alice", name="Alice <b>SSO</b>", groups=["qa-people"]
    )
    context, page = await _sign_in_with_provider(browser, sso_shoal, "alice-sso")
    assert "Your teams: qa" in await page.content()
    assert await page.locator("b:has-text('SSO')").count() == 0  # the name stayed text
    assert await page.locator("summary:has-text('Alice <b>SSO</b>')").count() == 1

    # Signing out ends Shoal's session and offers the provider's own sign-out.
    await page.click("summary:has-text('Alice')")
    await page.click("button:has-text('Sign out')")
    await page.wait_for_selector("text=You are signed out of Shoal")
    link = page.locator("a:has-text('Also sign out of Mock SSO')")
    assert "/oauth2/end_session?" in (await link.get_attribute("href") or "")
    await page.goto("/")
    assert "/login" in page.url
    await context.close()

    oidc_provider.set_user("alice-sso", preferred_username="alice", groups=["webdev"])
    context, page = await _sign_in_with_provider(browser, sso_shoal, "alice-sso")
    assert "Your teams: web" in await page.content()
    await context.close()


async def test_forged_callbacks_are_refused(browser, sso_shoal):
    context = await browser.new_context(base_url=sso_shoal.url)
    page = await context.new_page()
    response = await page.goto("/auth/oidc/mock/callback?state=forged&code=forged")
    assert response is not None and response.status == 400
    assert "already used" in await page.content()
    assert not [c for c in await context.cookies() if c["name"] == "shoal_session"]
    await context.close()
