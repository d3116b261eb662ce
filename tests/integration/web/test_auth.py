"""Sign-in, sessions, CSRF and throttling through the real app and database."""

from core.services import accounts
from core.tables import Team
from shoaltest.web import ADMIN_PASSWORD


async def test_login_page_renders_with_a_csrf_cookie(client):
    response = await client.page("/login")
    assert response.status_code == 200
    assert "Sign in to Shoal" in response.text
    assert "shoal_csrf" in response.cookies


async def test_pages_need_a_session(client):
    response = await client.get("/teams/")
    assert response.status_code == 302
    assert response.headers["location"] == "/login?next=/teams"


async def test_admin_signs_in_and_the_cookie_is_hardened(client, admin):
    response = await client.login("admin", ADMIN_PASSWORD)
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert "shoal_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    home = await client.get("/")
    assert home.status_code == 200 and "Setting up Shoal" in home.text


async def test_wrong_password_and_unknown_user_get_one_generic_message(client, admin):
    wrong = await client.login("admin", "not-the-password")
    unknown = await client.login("nobody", "not-the-password")
    assert wrong.status_code == unknown.status_code == 400
    assert accounts.GENERIC_LOGIN_ERROR in wrong.text
    assert accounts.GENERIC_LOGIN_ERROR in unknown.text
    assert 'value="admin"' in wrong.text  # the username is kept


async def test_disabled_user_cannot_sign_in(client, admin):
    actor = accounts.Actor(id=admin.id, username="admin", is_admin=True)
    user = await accounts.create_user(actor, username="qa", password="qa-password-1")
    await accounts.update_user(actor, user.id, is_active=False)
    response = await client.login("qa", "qa-password-1")
    assert response.status_code == 400
    assert accounts.GENERIC_LOGIN_ERROR in response.text


async def test_repeated_failures_are_throttled_with_429(client, admin):
    for _ in range(5):
        assert (await client.login("admin", "wrong-password")).status_code == 400
    throttled = await client.login("admin", ADMIN_PASSWORD)
    assert throttled.status_code == 429
    assert "Too many failed sign-in attempts" in throttled.text
    assert int(throttled.headers["retry-after"]) > 0


async def test_form_without_csrf_token_is_refused_and_changes_nothing(client, admin):
    await client.login("admin", ADMIN_PASSWORD)
    missing = await client.form("/teams/", {"name": "sneaky"}, csrf=False)
    forged = await client.post("/teams/", data={"name": "sneaky", "csrf_token": "forged"})
    assert missing.status_code == forged.status_code == 403
    assert "security token" in missing.text
    assert await Team.count().run() == 0


async def test_htmx_request_with_csrf_header_is_accepted(client, admin):
    await client.login("admin", ADMIN_PASSWORD)
    response = await client.post(
        "/teams/", data={"name": "via-htmx"}, headers={"X-CSRF-Token": client.csrf}
    )
    assert response.status_code == 303
    assert await Team.count().run() == 1


async def test_expired_session_under_htmx_redirects_to_login(client):
    client.cookies.set("shoal_session", "expired-or-unknown")
    response = await client.get("/teams/", headers={"HX-Request": "true"})
    assert response.headers["hx-redirect"].startswith("/login")


async def test_logout_ends_the_session(client, admin):
    await client.login("admin", ADMIN_PASSWORD)
    await client.form("/logout", {})
    assert (await client.get("/")).status_code == 302


async def test_login_next_parameter_cannot_redirect_off_site(client, admin):
    await client.page("/login")
    response = await client.form(
        "/login", {"username": "admin", "password": ADMIN_PASSWORD, "next": "//evil.example"}
    )
    assert response.headers["location"] == "/"


async def test_disabling_a_signed_in_user_ends_their_session_at_once(client, admin):
    actor = accounts.Actor(id=admin.id, username="admin", is_admin=True)
    user = await accounts.create_user(actor, username="qa", password="qa-password-1")
    await client.login("qa", "qa-password-1")
    assert (await client.get("/")).status_code == 200  # the session is now remembered
    await accounts.update_user(actor, user.id, is_active=False)
    assert (await client.get("/")).status_code == 302
