"""The admin side of single sign-on: providers from the form (secret sealed, never shown
back) and from litestar.toml (read-only), group mappings, and the account page's link."""

from __future__ import annotations

import pytest

from core import crypto, runtime
from core.actor import Actor
from core.oidc import client as oidc_client
from core.services import sso_groups, sso_providers, teams
from core.settings import OidcProviderSetting
from core.tables import AuditEvent, OidcProvider
from shoaltest.web import ADMIN_PASSWORD

SYSTEM = Actor.system("tests")
FORM = {
    "name": "corp",
    "display_name": "Corp <SSO>",
    "issuer": "https://sso.example.com/realms/main/",
    "client_id": "shoal",
    "client_secret": "very-secret-value",
    "scopes": "openid profile email",
    "groups_claim": "groups",
    "enabled": "on",
}


@pytest.fixture
async def signed_in_admin(client, admin):
    runtime.install(box=crypto.SecretBox(crypto.generate_key()))
    oidc_client.forget_caches()
    await client.login("admin", ADMIN_PASSWORD)
    return client


async def test_an_admin_adds_a_provider_and_its_secret_is_sealed(signed_in_admin):
    client = signed_in_admin
    created = await client.form("/sso/", FORM)
    assert created.status_code == 303
    row = (await OidcProvider.select().run())[0]
    assert row["issuer"] == "https://sso.example.com/realms/main"
    assert row["client_secret_ciphertext"].startswith("v1:")
    assert "very-secret-value" not in row["client_secret_ciphertext"]
    config = await sso_providers.client_config(row["id"])
    assert config.client_secret == "very-secret-value"
    detail = await client.page(created.headers["location"])
    assert detail.status_code == 200
    assert "very-secret-value" not in detail.text
    assert "Corp &lt;SSO&gt;" in detail.text
    assert "/auth/oidc/corp/callback" in detail.text
    login = await client.get("/login")  # signed in: redirected; the buttons are for others
    assert login.status_code in (302, 303)

    # Saving without a secret keeps the stored one.
    saved = await client.form(created.headers["location"], {**FORM, "client_secret": ""})
    assert saved.status_code == 303
    assert (await sso_providers.client_config(row["id"])).client_secret == "very-secret-value"


async def test_a_bad_provider_form_comes_back_with_the_error_and_the_input(signed_in_admin):
    refused = await signed_in_admin.form("/sso/", {**FORM, "issuer": "ftp://nope", "name": "x y"})
    assert refused.status_code == 422
    assert 'value="Corp &lt;SSO&gt;"' in refused.text  # input kept
    assert "very-secret-value" not in refused.text  # but never the secret
    assert await OidcProvider.count().run() == 0
    no_openid = await signed_in_admin.form("/sso/", {**FORM, "scopes": "profile"})
    assert no_openid.status_code == 422 and "openid" in no_openid.text


async def test_group_mappings_from_the_form(signed_in_admin):
    client = signed_in_admin
    provider = await sso_providers.create_provider(
        SYSTEM, sso_providers.ProviderInput(name="corp", issuer="https://i", client_id="c")
    )
    qa = await teams.create_team(SYSTEM, "qa")
    mapped = await client.form(
        f"/sso/{provider.id}/mappings", {"group_name": "qa-people", "team_id": str(qa.id)}
    )
    assert mapped.status_code == 303
    admin_group = await client.form(
        f"/sso/{provider.id}/mappings", {"group_name": "ops", "grants_admin": "on"}
    )
    assert admin_group.status_code == 303
    neither = await client.form(f"/sso/{provider.id}/mappings", {"group_name": "x"})
    assert neither.status_code == 422 and "Choose a team" in neither.text
    assert 'value="x"' in neither.text
    mappings = await sso_groups.list_mappings(provider.id)
    assert [(m.group_name, m.team_name, m.grants_admin) for m in mappings] == [
        ("ops", "", True),
        ("qa-people", "qa", False),
    ]
    page = await client.page(f"/sso/{provider.id}")
    assert "qa-people" in page.text
    removed = await client.form(f"/sso/{provider.id}/mappings/{mappings[0].id}/remove", {})
    assert removed.status_code == 303
    assert len(await sso_groups.list_mappings(provider.id)) == 1


async def test_providers_from_the_settings_file_are_read_only(signed_in_admin, monkeypatch):
    monkeypatch.setenv("CORP_SECRET", "from-the-env")
    setting = OidcProviderSetting(
        name="corp", issuer="https://i", client_id="c", client_secret_env="CORP_SECRET"
    )
    await sso_providers.sync_from_settings([setting])
    await sso_providers.sync_from_settings([setting])  # every start: still one row
    rows = await AuditEvent.select(AuditEvent.action).where(AuditEvent.action.like("sso.%")).run()
    # An unchanged provider is left alone at each start: no update, no audit entry.
    assert [r["action"] for r in rows] == ["sso.create"]
    provider = (await sso_providers.list_providers())[0]
    assert provider.source == "settings" and provider.has_secret
    assert (await sso_providers.client_config(provider.id)).client_secret == "from-the-env"
    page = await signed_in_admin.page(f"/sso/{provider.id}")
    assert "change it there" in page.text and "Remove provider" not in page.text
    edit = await signed_in_admin.form(f"/sso/{provider.id}", FORM)
    assert edit.status_code == 409
    delete = await signed_in_admin.form(f"/sso/{provider.id}/delete", {})
    assert delete.status_code == 409
    # No longer listed: disabled (its users stay linked should it come back), not deleted.
    await sso_providers.sync_from_settings([])
    assert not (await sso_providers.get_provider(provider.id)).enabled

    monkeypatch.delenv("CORP_SECRET")
    with pytest.raises(Exception, match="CORP_SECRET"):
        await sso_providers.sync_from_settings([setting])


async def test_the_account_page_offers_linking(signed_in_admin):
    await sso_providers.create_provider(
        SYSTEM,
        sso_providers.ProviderInput(
            name="corp", issuer="https://i", client_id="c", display_name="Corp"
        ),
    )
    page = await signed_in_admin.page("/account")
    assert 'action="/auth/oidc/corp/link"' in page.text and "Link with Corp" in page.text


async def test_a_refused_provider_edit_keeps_the_input_and_a_refused_delete_says_why(
    signed_in_admin, monkeypatch
):
    """The form helper: an edit the service refuses comes back with what was typed (never
    the secret); a refused delete is an alert on the provider's own page."""
    made = await sso_providers.create_provider(
        SYSTEM, sso_providers.ProviderInput(name="corp", issuer="https://i", client_id="c")
    )
    edit = await signed_in_admin.form(f"/sso/{made.id}", {**FORM, "issuer": "ftp://nope"})
    assert edit.status_code == 422
    assert 'value="Corp &lt;SSO&gt;"' in edit.text and 'value="ftp://nope"' in edit.text
    assert "very-secret-value" not in edit.text
    monkeypatch.setenv("CORP_SECRET", "from-the-env")
    setting = OidcProviderSetting(
        name="fixed", issuer="https://i", client_id="c", client_secret_env="CORP_SECRET"
    )
    await sso_providers.sync_from_settings([setting])
    fixed = await sso_providers.provider_by_name("fixed")
    delete = await signed_in_admin.form(f"/sso/{fixed.id}/delete", {})
    assert delete.status_code == 409
    assert 'class="toast toast-error" role="alert"' in delete.text
    assert "change it there" in delete.text  # the provider's own page, not an error page
