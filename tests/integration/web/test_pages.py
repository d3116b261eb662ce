"""Admin pages: forms re-render with the error and the input kept; names are escaped."""

from core.tables import Environment, Node, Team, User
from shoaltest.db import insert_row
from shoaltest.web import ADMIN_PASSWORD


async def signed_in(client):
    await client.login("admin", ADMIN_PASSWORD)
    return client


async def test_duplicate_team_name_rerenders_the_form_with_the_error(client, admin):
    await signed_in(client)
    await client.form("/teams/", {"name": "qa"})
    again = await client.form("/teams/", {"name": "qa", "description": "kept text"})
    assert again.status_code == 409
    assert "A team named &#39;qa&#39; already exists." in again.text
    assert 'value="kept text"' in again.text
    assert await Team.count().run() == 1


async def test_html_in_names_is_escaped_everywhere(client, admin):
    await signed_in(client)
    name = '<script>alert("x")</script>'
    created = await client.form("/teams/", {"name": name})
    page = await client.get(created.headers["location"])
    listing = await client.get("/teams/")
    audit = await client.get("/audit")
    for html in (page.text, listing.text, audit.text):
        assert "<script>alert" not in html
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html


async def test_new_user_form_keeps_input_when_the_password_is_too_short(client, admin):
    await signed_in(client)
    response = await client.form(
        "/users/", {"username": "quinn", "display_name": "Quinn", "password": "short"}
    )
    assert response.status_code == 422
    assert "at least 8 characters" in response.text
    assert 'value="quinn"' in response.text and 'value="Quinn"' in response.text
    assert await User.count().run() == 1


async def test_reset_password_shows_the_new_one_once_and_it_works(client, admin):
    await signed_in(client)
    await client.form("/users/", {"username": "quinn", "password": "quinn-password-1"})
    quinn = await User.select(User.id).where(User.username == "quinn").first().run()
    response = await client.form(f"/users/{quinn['id']}/reset-password", {})
    new_password = response.text.split('id="new-password">')[1].split("<")[0]
    assert len(new_password) >= 12
    again = await client.get(f"/users/{quinn['id']}")
    assert new_password not in again.text


async def test_admin_cannot_disable_themselves(client, admin):
    await signed_in(client)
    response = await client.form(f"/users/{admin.id}", {"is_admin": "on"})
    assert response.status_code == 409
    assert "cannot disable your own account" in response.text


async def test_non_admin_gets_404_for_admin_pages(client, admin):
    await signed_in(client)
    await client.form("/users/", {"username": "quinn", "password": "quinn-password-1"})
    await client.form("/logout", {})
    client.csrf = ""
    await client.login("quinn", "quinn-password-1")
    for url in ("/users/", "/teams/", f"/users/{admin.id}"):
        assert (await client.get(url)).status_code == 404
    assert (await client.get("/audit")).status_code == 200


async def test_unknown_page_is_a_friendly_404(client, admin):
    await signed_in(client)
    response = await client.get("/no/such/page")
    assert response.status_code == 404
    assert "Back to the start page" in response.text


async def test_project_and_environment_pages_grant_team_access(client, admin):
    await signed_in(client)
    await client.form("/teams/", {"name": "testers"})
    await client.form("/projects/", {"name": "shop", "cpu": "1", "memory_mb": "512"})
    await client.form(
        "/environments/", {"name": "qa", "base_domain": "qa.example.com", "cleanup_hours": "24"}
    )
    for url in ("/projects/1", "/environments/1"):
        before = await client.get(url)
        assert "No team has access yet" in before.text
        granted = await client.form(f"{url}/grants", {"team_id": "1", "level": "full"})
        assert granted.status_code == 303
        after = await client.get(url)
        assert "testers" in after.text and 'class="badge full"' in after.text


async def test_a_refused_delete_shows_why_on_the_environment_page(client, admin):
    """The shared form flow (web/forms.py): a delete the service refuses comes back as the
    thing's own page with the reason as an alert and the refusal's status, nothing deleted."""
    await signed_in(client)
    await client.form(
        "/environments/", {"name": "qa", "base_domain": "qa.example.com", "cleanup_hours": "24"}
    )
    env = await Environment.select(Environment.id).first().run()
    await insert_row(Node(environment=env["id"], name="n1", host="127.0.0.1", port=5001))
    refused = await client.form(f"/environments/{env['id']}/delete", {})
    assert refused.status_code == 409
    assert 'class="toast toast-error" role="alert"' in refused.text
    assert "still has 1 node(s)" in refused.text
    assert "Delete environment" in refused.text  # the environment's page, not an error page
    assert await Environment.count().run() == 1


async def test_a_refused_user_save_keeps_what_was_typed_and_ticked(client, admin):
    """The form helper: the edit form comes back as sent (name typed, Active unticked), not
    as stored, beside the reason."""
    await signed_in(client)
    sent = {"display_name": "Typed name", "is_admin": "on"}
    refused = await client.form(f"/users/{admin.id}", sent)
    assert refused.status_code == 409
    assert "cannot disable your own account" in refused.text
    assert 'value="Typed name"' in refused.text
    assert 'name="is_active" value="on" >' in refused.text  # unticked, as sent


async def test_adding_a_user_to_a_team_twice_says_so_beside_the_team_picker(client, admin):
    await signed_in(client)
    await client.form("/teams/", {"name": "qa"})
    team = await Team.select(Team.id).first().run()
    added = await client.form(f"/users/{admin.id}/teams", {"team_id": str(team["id"])})
    assert added.status_code == 303
    again = await client.form(f"/users/{admin.id}/teams", {"team_id": str(team["id"])})
    assert again.status_code == 409
    assert '<p class="form-error" role="alert">' in again.text and "already in qa" in again.text


async def test_a_refused_token_name_comes_back_beside_its_field_and_kept(client, admin):
    await signed_in(client)
    long_name = "t" * 65
    refused = await client.form("/account/tokens", {"name": long_name})
    assert refused.status_code == 422
    assert 'aria-describedby="e-name"' in refused.text and f'value="{long_name}"' in refused.text
    assert 'id="new-token"' not in refused.text
    made = await client.form("/account/tokens", {"name": "ci"})
    assert made.status_code == 200 and 'id="new-token"' in made.text


async def test_a_refused_node_comes_back_on_the_environment_page_with_its_input(client, admin):
    """The Add a node form keeps what was typed beside the reason, and its `name` does not
    fill the environment's own form."""
    await signed_in(client)
    await client.form(
        "/environments/", {"name": "qa", "base_domain": "qa.example.com", "cleanup_hours": "24"}
    )
    env = await Environment.select(Environment.id).first().run()
    typed = {"host": "not a host!", "port": "5123", "name": "typed-node"}
    refused = await client.form(f"/environments/{env['id']}/nodes", typed)
    assert refused.status_code == 422
    assert (
        'aria-describedby="ne-host"' in refused.text
        and 'id="ne-host" class="error"' in refused.text
    )
    assert 'value="not a host!"' in refused.text and 'value="5123"' in refused.text
    assert 'value="typed-node"' in refused.text and 'value="qa"' in refused.text
    assert await Node.count().run() == 0
