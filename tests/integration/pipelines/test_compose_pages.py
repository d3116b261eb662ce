"""The compose import page: preview, answers kept across submits, import, refusals."""

from core.actor import Actor
from core.services import accounts, pipelines, teams
from core.tables import Service
from shoaltest.web import ADMIN_PASSWORD

STACK = """services:
  web:
    image: busybox:1.36
    command: httpd -f -p 8080
    ports: ["8080"]
    env_file: [web.env]
    environment: {API_TOKEN: abc, GREETING: "${GREETING}"}
    depends_on: [cache]
  cache: {image: "busybox:1.36", profiles: [full]}
  Odd_Name: {image: "busybox:1.36"}
"""


async def test_preview_answers_and_import(client, admin, shop):
    assert (await client.login("admin", ADMIN_PASSWORD)).status_code == 303
    url = f"/projects/{shop.project.id}/compose"
    empty = await client.page(url)
    assert empty.status_code == 200 and "Import a compose file" in empty.text
    first = await client.form(url, {"text": STACK, "action": "preview"})
    assert first.status_code == 200
    page = first.text
    assert "the variable GREETING has no value" in page
    assert "give the content of &#39;web.env&#39;" in page
    assert "&#39;cache&#39; is left out by the active profiles" in page
    assert "<code>Odd_Name</code></td><td><code>odd-name</code>" in page
    assert 'value="web.API_TOKEN" aria-label="API_TOKEN is a secret" checked' in page
    assert "disabled>Import" in page

    answers = {
        "text": STACK,
        "answered": "1",
        "var.GREETING": "hello",
        "profile": "full",
        "envfile_path": "web.env",
        "envfile.0": "LEVEL=debug\n",
        "service": ["web", "cache", "Odd_Name"],
        "svc.web.catalog_name": "shop-web",
        "svc.web.selectable": "on",
        "svc.web.tag_pattern": "1.*",
        "svc.cache.catalog_name": "postgres",  # taken by the shop's catalog
        "svc.Odd_Name.catalog_name": "shop-odd",
        "secret": ["web.API_TOKEN", "web.GREETING"],
        "message": "from compose",
    }
    refused = await client.form(url, {**answers, "action": "import"})
    assert refused.status_code == 422
    text = refused.text
    assert "Nothing was imported:" in text
    assert "already has a service named &#39;postgres&#39;" in text
    # every answer is still there
    assert 'name="var.GREETING" value="hello"' in text
    assert 'name="profile" value="full" checked' in text
    assert "LEVEL=debug" in text and 'value="1.*"' in text and 'value="from compose"' in text
    assert 'value="web.GREETING" aria-label="GREETING is a secret" checked' in text
    assert await pipelines.latest_number(shop.project.id) == 0

    answers["svc.cache.catalog_name"] = "shop-cache"
    done = await client.form(url, {**answers, "action": "import"})
    assert (
        done.status_code == 303
        and done.headers["location"] == f"/projects/{shop.project.id}/pipeline"
    )
    version = await pipelines.get_version(shop.project.id)
    assert version.message == "from compose"
    web = next(n for n in version.nodes if n["id"] == "web")
    assert web["config"]["env"] == {
        "LEVEL": "debug",
        "API_TOKEN": "${{ secrets.WEB_API_TOKEN }}",
        "GREETING": "${{ secrets.WEB_GREETING }}",
    }
    row = await Service.select().where(Service.name == "shop-web").first().run()
    assert (row["tag_mode"], row["tag_pattern"]) == ("selectable", "1.*")


async def test_an_uploaded_file_is_previewed(client, admin, shop):
    assert (await client.login("admin", ADMIN_PASSWORD)).status_code == 303
    await client.page(f"/projects/{shop.project.id}/compose")
    answer = await client.post(
        f"/projects/{shop.project.id}/compose",
        data={"csrf_token": client.csrf, "action": "preview"},
        files={
            "file": ("docker-compose.yml", b"services: {app: {image: busybox, privileged: true}}")
        },
    )
    assert answer.status_code == 200
    assert "services.app.privileged: privileged containers are not allowed." in answer.text
    assert "image: busybox, privileged: true" in answer.text  # the text is kept in the form


async def test_only_admins_see_the_page(client, admin, shop):
    system = Actor.system("tests")
    reader = await accounts.create_user(system, username="qa", password="qa-password-1")
    await accounts.create_user(system, username="zed", password="zed-password-1")
    team = await teams.create_team(system, "qa", "")
    await teams.add_member(system, team.id, reader.id)
    await teams.grant(system, team.id, "project", shop.project.id, "full")
    assert (await client.login("qa", "qa-password-1")).status_code == 303
    assert (await client.page(f"/projects/{shop.project.id}/compose")).status_code == 403
    posted = await client.form(f"/projects/{shop.project.id}/compose", {"text": STACK})
    assert posted.status_code == 403
    await client.post("/logout", data={"csrf_token": client.csrf})
    client.cookies.clear()
    client.csrf = ""
    assert (await client.login("zed", "zed-password-1")).status_code == 303
    assert (await client.page(f"/projects/{shop.project.id}/compose")).status_code == 404
