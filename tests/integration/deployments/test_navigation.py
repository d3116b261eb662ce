"""Finding one's way (issue 16 item 9): breadcrumbs, copy buttons, the list's search and its
URL/tag column, the favicon, the onboarding link, teams from the user page, the QA user's
home page, and each service's usage charts on the deployment page."""

from __future__ import annotations

import datetime
import re
from html.parser import HTMLParser

from core.services import teams
from core.tables import Deployment, ServiceSample, User


class Crumbs(HTMLParser):
    """(text, href) of each item of the page's breadcrumb nav; href "" for the page itself."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.items: list[tuple[str, str]] = []
        self._inside, self._href, self._text = False, "", ""
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "nav" and attrs.get("aria-label") == "breadcrumb":
            self._inside = True
        elif self._inside and tag == "li":
            self._href, self._text = "", ""
        elif self._inside and tag == "a":
            self._href = attrs.get("href") or ""

    def handle_endtag(self, tag):
        if self._inside and tag == "li":
            self.items.append((self._text.strip(), self._href))
        elif tag == "nav":
            self._inside = False

    def handle_data(self, data):
        if self._inside:
            self._text += data


async def as_admin(client):
    await client.login("admin", "admin-password-1")


async def test_breadcrumbs_lead_up_from_each_page(world, client):
    dep = await world.deploy("pr-1")
    node = world.node_id
    await as_admin(client)
    expected = {
        f"/deployments/{dep.id}": [
            ("shop", f"/projects/{world.project_id}"),
            ("qa", f"/environments/{world.env_id}"),
            ("pr-1", ""),
        ],
        f"/projects/{world.project_id}": [("Projects", "/projects"), ("shop", "")],
        f"/environments/{world.env_id}": [("Environments", "/environments"), ("qa", "")],
        f"/nodes/{node}": [
            ("Environments", "/environments"),
            ("qa", f"/environments/{world.env_id}"),
            ("n1", ""),
        ],
        f"/projects/{world.project_id}/pipeline": [
            ("Projects", "/projects"),
            ("shop", f"/projects/{world.project_id}"),
            ("Pipeline", ""),
        ],
        f"/projects/{world.project_id}/pipeline/versions/1": [
            ("Projects", "/projects"),
            ("shop", f"/projects/{world.project_id}"),
            ("Pipeline", f"/projects/{world.project_id}/pipeline"),
            ("v1", ""),
        ],
    }
    for path, trail in expected.items():
        page = await client.get(path)
        assert page.status_code == 200, path
        assert Crumbs(page.text).items == trail, path
        assert page.text.count('aria-label="breadcrumb"') == 1, path  # one macro, once


async def test_a_crumb_the_user_may_not_open_leads_to_the_filtered_list(world, client):
    dep = await world.deploy("pr-2")
    await teams.grant(world.admin, world.team_id, "project", world.project_id, "read")
    await client.login("quinn", "quinn-password-1")
    page = await client.get(f"/deployments/{dep.id}")
    env_list = f"/deployments?project_id={world.project_id}&amp;environment_id={world.env_id}"
    assert Crumbs(page.text).items[:2] == [
        ("shop", f"/projects/{world.project_id}"),
        ("qa", env_list.replace("&amp;", "&")),  # no grant on the environment: no 404 link
    ]
    assert (await client.get(env_list.replace("&amp;", "&"))).status_code == 200


async def test_urls_and_tokens_have_copy_buttons(world, client):
    dep = await world.deploy("pr-3")
    await (
        Deployment.update({Deployment.status: "running", Deployment.ports: {"web": 32001}})
        .where(Deployment.id == dep.id)
        .run()
    )
    await as_admin(client)
    page = (await client.page(f"/deployments/{dep.id}")).text
    assert 'data-copy="http://web.pr-3.qa.qa.test:8880"' in page
    token_page = await client.form(
        f"/environments/{world.env_id}/nodes", {"host": "10.1.2.3", "port": "5000"}
    )
    assert token_page.status_code == 201
    for source in ("#node-token", "#node-docker-command", "#node-run-command"):
        assert f'data-copy-from="{source}"' in token_page.text
    # the secret is in the page once: the button copies it from there, it holds no copy
    token = re.search(r'id="node-token"><code>([^<]+)<', token_page.text).group(1)
    assert token_page.text.count(token) == 3  # the token, and inside the two commands
    account = await client.form("/account/tokens", {"name": "ci"})
    assert 'data-copy-from="#new-token"' in account.text
    assert '<script src="/static/copy.js' in account.text


async def test_the_list_searches_by_name_and_shows_each_service_url_and_tag(world, client):
    first = await world.deploy("shop-pr-10", tags={"web": "v2"})
    await world.deploy("other-5", tags={"web": "v1"})
    await (
        Deployment.update({Deployment.status: "running", Deployment.ports: {"web": 32001}})
        .where(Deployment.id == first.id)
        .run()
    )
    await as_admin(client)
    found = (await client.get("/deployments?q=PR-1")).text
    assert "shop-pr-10" in found and "other-5" not in found
    assert 'value="PR-1"' in found  # the search box keeps what was typed
    row = re.search(rf'<tr id="deployment-{first.id}">.*?</tr>', found, re.S).group(0)
    assert 'href="http://web.shop-pr-10.qa.qa.test:8880"' in row and "<code>v2</code>" in row
    assert "api <code>1.0</code>" in row  # no port published: its tag, no link
    # `_` and `%` are searched for as themselves (no name holds them), not as LIKE wildcards
    for wildcard in ("_", "%25", "%25-%25"):
        assert "No deployments here" in (await client.get(f"/deployments?q={wildcard}")).text


async def test_favicon_and_onboarding_link(world, client):
    await as_admin(client)
    home = (await client.get("/")).text
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in home
    assert '<a href="/registries">Add a registry and services</a>' in home
    icon = await client.get("/static/favicon.svg")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")


async def test_an_admin_adds_and_removes_a_user_s_teams_from_the_user_page(world, client):
    other = await teams.create_team(world.admin, "night-shift")
    await as_admin(client)
    page = (await client.get(f"/users/{world.user.id}")).text
    assert f'<option value="{other.id}">night-shift</option>' in page
    assert f'<option value="{world.team_id}">' not in page  # already in it
    added = await client.form(f"/users/{world.user.id}/teams", {"team_id": str(other.id)})
    assert added.status_code == 303
    assert [t.name for t in await teams.teams_of_user(world.user.id)] == ["night-shift", "qa"]
    again = await client.form(f"/users/{world.user.id}/teams", {"team_id": str(other.id)})
    assert again.status_code == 409 and "already in night-shift" in again.text
    removed = await client.form(f"/users/{world.user.id}/teams/{other.id}/leave", {})
    assert removed.status_code == 303
    assert [t.name for t in await teams.teams_of_user(world.user.id)] == ["qa"]


async def test_home_offers_new_deployment_or_names_whom_to_ask(world, client):
    await User.update({User.display_name: "Ada Admin"}).where(User.username == "admin").run()
    await client.login("quinn", "quinn-password-1")
    home = (await client.get("/")).text
    assert 'id="home-new-deployment"' not in home
    assert "Ask Ada Admin (Shoal's admin) to give you access" in home
    await teams.grant(world.admin, world.team_id, "project", world.project_id, "read")
    assert "Ask Ada Admin" in (await client.get("/")).text  # read access cannot deploy
    await teams.grant(world.admin, world.team_id, "environment", world.env_id, "full")
    home = (await client.get("/")).text
    assert '<a href="/deployments/new" role="button" id="home-new-deployment">' in home
    assert "Ask Ada Admin" not in home


async def test_the_deployment_page_charts_each_service_over_the_last_hour(world, client):
    dep = await world.deploy("pr-4")
    await Deployment.update({Deployment.status: "running"}).where(Deployment.id == dep.id).run()
    now = datetime.datetime.now(datetime.UTC)
    for minutes, cpu in ((50, 10.0), (20, 40.0), (1, 25.0)):
        at = now - datetime.timedelta(minutes=minutes)
        for service, memory in (("web", 60.0), ("api", 200.0)):
            await ServiceSample.insert(
                ServiceSample(
                    deployment=dep.id, service=service, at=at, cpu_percent=cpu, memory_mb=memory
                )
            ).run()
    old = now - datetime.timedelta(hours=2)
    await ServiceSample.insert(ServiceSample(deployment=dep.id, service="gone", at=old)).run()
    await as_admin(client)
    usage = (await client.get(f"/deployments/{dep.id}/usage")).text
    services = re.findall(r'<figure class="service-chart" data-service="(\w+)">', usage)
    assert services == ["api", "web"]  # by name; nothing older than an hour
    assert usage.count("<svg") == 4 and usage.count("<polyline") == 4
    # CPU on the deployment's limit (1 CPU = 100 %), memory on its 1024 MB
    assert "web CPU: 25 % now (scale 0 to 100 %)" in usage
    assert "api memory: 200 MB now (scale 0 to 1024 MB)" in usage
