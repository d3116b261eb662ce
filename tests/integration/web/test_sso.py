"""Single sign-on against a real OpenID provider process (oidc-provider-mock): the app's
pages in-process, the provider over loopback HTTP, the authorization page posted like a
browser would (the browser journey is in tests/e2e/test_sso_journey.py)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from joserfc.jwk import KeySet, RSAKey

from core import crypto, runtime
from core.actor import Actor
from core.oidc import client as oidc_client
from core.services import accounts, sso_accounts, sso_groups, sso_providers, teams
from core.services.sso_providers import ProviderInput
from core.tables import AuditEvent, Membership, OidcIdentity, OidcLogin, User
from shoaltest.ports import free_port
from shoaltest.web import ADMIN_PASSWORD, WebClient

SYSTEM = Actor.system("tests")


@pytest.fixture
async def mock_sso(db, oidc_provider):
    runtime.install(box=crypto.SecretBox(crypto.generate_key()))
    oidc_client.forget_caches()
    return await sso_providers.create_provider(SYSTEM, ProviderInput(**oidc_provider.setting()))


async def _sign_in(client, oidc_provider, sub: str, next_url: str = "/"):
    start = await client.get("/auth/oidc/mock/start?" + urlencode({"next": next_url}))
    assert start.status_code == 302, start.text[:300]
    callback = urlsplit(oidc_provider.authorize(start.headers["location"], sub))
    assert callback.path == "/auth/oidc/mock/callback"
    return await client.get(f"{callback.path}?{callback.query}"), callback


async def _map(provider, group: str, team_id: int) -> None:
    await sso_groups.add_mapping(SYSTEM, provider.id, group, team_id=team_id, grants_admin=False)


async def _team_names(user_id: int) -> set[str]:
    return {t.name for t in await teams.teams_of_user(user_id)}


async def test_first_sign_in_creates_the_user_and_groups_follow_at_each_sign_in(
    client, oidc_provider, mock_sso
):
    qa = await teams.create_team(SYSTEM, "qa")
    web = await teams.create_team(SYSTEM, "web")
    await sso_groups.add_mapping(
        SYSTEM, mock_sso.id, "qa-people", team_id=qa.id, grants_admin=False
    )
    await _map(mock_sso, "webdev", web.id)
    await sso_groups.add_mapping(SYSTEM, mock_sso.id, "ops", team_id=None, grants_admin=True)
    oidc_provider.set_user(
        "alice-1", preferred_username="Alice", name="Alice A.", groups=["qa-people", "ops"]
    )

    response, _ = await _sign_in(client, oidc_provider, "alice-1", next_url="/projects")
    assert response.status_code == 303
    assert response.headers["location"] == "/projects"
    assert "shoal_session" in client.cookies
    user = (await User.select().where(User.username == "alice").run())[0]
    assert user["display_name"] == "Alice A."
    assert user["password_hash"] == ""
    assert user["is_admin"] and user["admin_from_sso"]
    assert await _team_names(user["id"]) == {"qa"}
    home = await client.page("/")
    assert home.status_code == 200 and "Alice A." in home.text

    # Groups change at the provider: the next sign-in follows (added and removed).
    oidc_provider.set_user("alice-1", preferred_username="Alice", groups=["webdev"])
    client.cookies.clear()
    response, _ = await _sign_in(client, oidc_provider, "alice-1")
    assert response.status_code == 303
    assert await _team_names(user["id"]) == {"web"}
    again = await accounts.get_user(user["id"])
    assert not again.is_admin
    assert await User.count().run() == 1  # the same account, found by (provider, sub)

    # Removed from every mapped group: no team left.
    oidc_provider.set_user("alice-1", preferred_username="Alice", groups=[])
    client.cookies.clear()
    await _sign_in(client, oidc_provider, "alice-1")
    assert await _team_names(user["id"]) == set()


async def test_a_membership_added_by_hand_is_not_removed_by_the_provider(
    client, oidc_provider, mock_sso
):
    qa = await teams.create_team(SYSTEM, "qa")
    await sso_groups.add_mapping(
        SYSTEM, mock_sso.id, "qa-people", team_id=qa.id, grants_admin=False
    )
    oidc_provider.set_user("bob-1", preferred_username="bob", groups=[])
    await _sign_in(client, oidc_provider, "bob-1")
    bob = (await User.select(User.id).where(User.username == "bob").run())[0]["id"]
    await teams.add_member(SYSTEM, qa.id, bob)
    client.cookies.clear()
    await _sign_in(client, oidc_provider, "bob-1")
    assert await _team_names(bob) == {"qa"}
    members = await teams.list_members(qa.id)
    assert [m.provider for m in members] == [""]


async def test_the_team_page_shows_members_from_the_provider(
    client, admin, oidc_provider, mock_sso
):
    qa = await teams.create_team(SYSTEM, "qa")
    await sso_groups.add_mapping(
        SYSTEM, mock_sso.id, "qa-people", team_id=qa.id, grants_admin=False
    )
    oidc_provider.set_user("carol-1", preferred_username="carol", groups=["qa-people"])
    await _sign_in(client, oidc_provider, "carol-1")
    client.cookies.clear()
    await client.login("admin", ADMIN_PASSWORD)
    page = await client.page(f"/teams/{qa.id}")
    assert page.status_code == 200
    assert "carol" in page.text and "from Mock SSO" in page.text


async def test_a_callback_is_used_once_and_a_forged_state_is_refused(
    client, oidc_provider, mock_sso
):
    oidc_provider.set_user("dave-1", preferred_username="dave")
    first, callback = await _sign_in(client, oidc_provider, "dave-1")
    assert first.status_code == 303
    client.cookies.clear()
    replay = await client.get(f"{callback.path}?{callback.query}")
    assert replay.status_code == 400
    assert "already used" in replay.text
    assert "shoal_session" not in client.cookies

    start = await client.get("/auth/oidc/mock/start")
    location = urlsplit(oidc_provider.authorize(start.headers["location"], "dave-1"))
    code = parse_qs(location.query)["code"][0]
    forged = await client.get(f"/auth/oidc/mock/callback?code={code}&state=made-up")
    assert forged.status_code == 400
    assert "shoal_session" not in client.cookies
    refusals = (
        await AuditEvent.select(AuditEvent.detail)
        .where((AuditEvent.action == "user.sign_in_sso") & (AuditEvent.outcome == "refused"))
        .run()
    )
    assert len(refusals) == 2 and all("already used" in r["detail"] for r in refusals)


async def test_a_sub_linked_to_another_account_is_refused_and_linking_needs_a_session(
    client, admin, oidc_provider, mock_sso
):
    oidc_provider.set_user("erin-1", preferred_username="erin")
    await _sign_in(client, oidc_provider, "erin-1")  # erin now exists, linked to erin-1
    client.cookies.clear()
    anonymous = await client.post("/auth/oidc/mock/link")
    assert anonymous.status_code in (401, 403)

    await client.login("admin", ADMIN_PASSWORD)
    start = await client.form("/auth/oidc/mock/link", {})
    assert start.status_code == 303
    callback = urlsplit(oidc_provider.authorize(start.headers["location"], "erin-1"))
    refused = await client.get(f"{callback.path}?{callback.query}")
    assert refused.status_code == 409
    assert "already linked to another Shoal user" in refused.text
    assert await OidcIdentity.count().where(OidcIdentity.user == admin.id).run() == 0

    # A sub of nobody's links to the signed-in admin; signing in with it is the admin.
    start = await client.form("/auth/oidc/mock/link", {})
    callback = urlsplit(oidc_provider.authorize(start.headers["location"], "admin-at-idp"))
    linked = await client.get(f"{callback.path}?{callback.query}")
    assert linked.status_code in (302, 303)
    client.cookies.clear()
    await _sign_in(client, oidc_provider, "admin-at-idp")
    account = await client.page("/account")
    assert account.status_code == 200 and "admin" in account.text
    assert await User.count().run() == 2  # no third account was made


async def test_html_in_the_name_claim_stays_text(client, admin, oidc_provider, mock_sso):
    oidc_provider.set_user("mallory-1", preferred_username="<b>m</b>", name="<script>x()</script>")
    response, _ = await _sign_in(client, oidc_provider, "mallory-1")
    assert response.status_code == 303
    client.cookies.clear()
    await client.login("admin", ADMIN_PASSWORD)
    users = await client.page("/users/")
    assert "<script>x()</script>" not in users.text
    assert "&lt;script&gt;x()&lt;/script&gt;" in users.text
    assert await User.exists().where(User.username == "b-m-b").run()


async def test_a_provider_that_is_down_gets_a_clear_page_and_passwords_still_work(
    client, admin, db
):
    runtime.install(box=crypto.SecretBox(crypto.generate_key()))
    oidc_client.forget_caches()
    down = f"http://127.0.0.1:{free_port()}"
    await sso_providers.create_provider(
        SYSTEM, ProviderInput(name="gone", issuer=down, client_id="x", display_name="Gone SSO")
    )
    login_page = await client.page("/login")
    assert "Sign in with Gone SSO" in login_page.text
    response = await client.get("/auth/oidc/gone/start")
    assert response.status_code == 503
    assert "unreachable" in response.text and 'href="/login"' in response.text
    assert (await client.login("admin", ADMIN_PASSWORD)).status_code == 303


async def test_password_sign_in_can_be_left_to_the_break_glass_admin(client, web_app, admin, db):
    await accounts.create_user(SYSTEM, username="local", password="local-password-1")
    original = web_app.state.runtime
    web_app.state.runtime = dataclasses.replace(
        original, password_login=accounts.PasswordLogin(enabled=False, break_glass_admin="admin")
    )
    try:
        refused = await client.login("local", "local-password-1")
        assert refused.status_code == 400
        assert "Password sign-in is turned off" in refused.text
        assert (await client.login("admin", ADMIN_PASSWORD)).status_code == 303
        sso_page = await client.page("/sso/")
        assert "<strong>off</strong>, except for the break-glass admin <code>admin</code>" in (
            sso_page.text
        )
    finally:
        web_app.state.runtime = original


async def test_sign_out_offers_the_providers_end_session(client, oidc_provider, mock_sso):
    oidc_provider.set_user("frank-1", preferred_username="frank")
    await _sign_in(client, oidc_provider, "frank-1")
    await client.page("/account")
    out = await client.form("/logout", {})
    assert out.status_code == 303
    assert out.headers["location"] == "/auth/oidc/mock/signed-out"
    page = await client.page(out.headers["location"])
    assert "Also sign out of Mock SSO" in page.text
    assert f"{oidc_provider.issuer}/oauth2/end_session?" in page.text
    assert (await client.get("/account")).status_code in (302, 303, 401)


async def test_memberships_made_by_a_deleted_provider_go_with_it(client, oidc_provider, mock_sso):
    qa = await teams.create_team(SYSTEM, "qa")
    await sso_groups.add_mapping(
        SYSTEM, mock_sso.id, "qa-people", team_id=qa.id, grants_admin=False
    )
    oidc_provider.set_user("gina-1", preferred_username="gina", groups=["qa-people"])
    await _sign_in(client, oidc_provider, "gina-1")
    assert await Membership.count().run() == 1
    await sso_providers.delete_provider(SYSTEM, mock_sso.id)
    assert await Membership.count().run() == 0


async def test_a_rotated_provider_key_is_fetched_again(client, oidc_provider, mock_sso):
    """Shoal holds an old key set (as after the provider rotated its keys): the ID token's
    unknown key makes it fetch the set again, once, and the sign-in goes through."""
    old_key = RSAKey.generate_key(2048, parameters={"kid": "retired"})
    jwks_uri = f"{oidc_provider.issuer}/jwks"
    stale = KeySet([old_key]).as_dict(private=False)
    oidc_client._jwks[jwks_uri] = (time.monotonic(), stale)
    oidc_provider.set_user("hank-1", preferred_username="hank")
    response, _ = await _sign_in(client, oidc_provider, "hank-1")
    assert response.status_code == 303
    assert oidc_client._jwks[jwks_uri][1] != stale


async def test_a_sign_in_left_too_long_is_refused(client, oidc_provider, mock_sso):
    oidc_provider.set_user("ivy-1", preferred_username="ivy")
    start = await client.get("/auth/oidc/mock/start")
    await (
        OidcLogin.update({OidcLogin.expires_at: datetime.now(UTC) - timedelta(seconds=1)})
        .where(OidcLogin.id > 0)
        .run()
    )
    callback = urlsplit(oidc_provider.authorize(start.headers["location"], "ivy-1"))
    refused = await client.get(f"{callback.path}?{callback.query}")
    assert refused.status_code == 400 and "expired" in refused.text
    assert not await User.exists().where(User.username == "ivy").run()


async def test_a_callback_delivered_to_another_browser_signs_nobody_in(
    client, web_app, admin, oidc_provider, mock_sso
):
    """Login CSRF: the attacker starts a sign-in, and passes the provider's callback URL
    (their own code and state) to a victim. The victim's browser lacks the state cookie."""
    oidc_provider.set_user("attacker-1", preferred_username="attacker")
    start = await client.get("/auth/oidc/mock/start")  # the attacker's browser
    callback = urlsplit(oidc_provider.authorize(start.headers["location"], "attacker-1"))
    async with _browser(web_app) as victim:
        refused = await victim.get(f"{callback.path}?{callback.query}")
        assert refused.status_code == 400
        assert "did not start in this browser" in refused.text
        assert "shoal_session" not in victim.cookies
    assert not await User.exists().where(User.username == "attacker").run()


async def test_an_account_link_cannot_be_completed_in_someone_elses_browser(
    client, web_app, admin, oidc_provider, mock_sso
):
    """The attacker starts linking *their* account and gets a victim to finish it at the
    provider: the victim's identity must not end up linked to the attacker's account."""
    await client.login("admin", ADMIN_PASSWORD)  # the attacker (any signed-in user)
    start = await client.form("/auth/oidc/mock/link", {})
    callback = urlsplit(oidc_provider.authorize(start.headers["location"], "victim-1"))
    async with _browser(web_app) as victim:
        refused = await victim.get(f"{callback.path}?{callback.query}")
        assert refused.status_code == 400
    assert await OidcIdentity.count().run() == 0


@contextlib.asynccontextmanager
async def _browser(web_app):
    transport = httpx.ASGITransport(app=web_app)  # type: ignore[arg-type]
    async with WebClient(transport=transport, base_url="http://testserver") as other:
        yield other


async def test_two_first_sign_ins_at_once_make_one_account(mock_sso):
    claims = {"sub": "twin-1", "preferred_username": "twin"}
    users = await asyncio.gather(
        *(sso_accounts.account_for(mock_sso, dict(claims)) for _ in range(6))
    )
    first = users[0]
    assert {user.id for user in users} == {first.id}
    assert await User.count().run() == 1
    # Someone else wanting the same username gets it with a suffix.
    namesake = {"sub": "twin-2", "preferred_username": "twin"}
    other = await sso_accounts.account_for(mock_sso, namesake)
    assert other.username.startswith("twin-") and other.id != first.id
