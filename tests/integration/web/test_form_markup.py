"""Every page with a form, rendered by the real app for an admin and read with an HTML parser:
attributes are well-formed, so `required` and `maxlength` really reach the browser.

Issue 16: attributes written on their own template lines ran together once Jinja's
trim_blocks ate the line ends (`requiredmaxlength="63"`, `step="any"value="…"`), and the
browser took them for one unknown attribute: no field was required, none had a length limit.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from typing import Any

from core import crypto, runtime
from core.actor import Actor
from core.services import catalog, plugins, registries, secrets
from core.services.catalog import ServiceInput
from core.services.plugins import PluginInput
from core.tables import (
    Deployment,
    Environment,
    Node,
    PipelineVersion,
    Project,
    Registry,
    Team,
    User,
)
from shoaltest.db import insert_row
from shoaltest.web import ADMIN_PASSWORD

# Attribute names our templates use; a name made of two or more of them glued together is the
# sign of a missing space between attributes.
KNOWN = {
    "accept", "action", "alt", "autocomplete", "autofocus", "checked", "class", "cols",
    "content", "data", "dir", "disabled", "download", "enctype", "for", "form", "height",
    "hidden", "href", "id", "inputmode", "lang", "list", "max", "maxlength", "method", "min",
    "minlength", "multiple", "name", "open", "pattern", "placeholder", "readonly", "rel",
    "required", "role", "rows", "selected", "size", "spellcheck", "src", "step", "style",
    "tabindex", "target", "title", "type", "value", "width", "wrap",
}  # fmt: skip
# One attribute of a start tag, with its value if it has one (HTML's own tokenising rules).
ATTRIBUTE = re.compile(r"""\s*([^\s"'>/=]+)(\s*=\s*("[^"]*"|'[^']*'|[^\s"'=<>`]+))?""")


def glued(name: str) -> bool:
    """True when `name` splits into two or more known attribute names."""
    ends = {0}
    for end in range(1, len(name) + 1):
        if any(start in ends and name[start:end] in KNOWN for start in range(end)):
            ends.add(end)
    if len(name) not in ends:
        return False
    return name not in KNOWN


def run_together(raw: str) -> bool:
    """True when an attribute is straight followed by the next one: `step="any"value="1"`."""
    position = len(re.match(r"<[^\s/>]+", raw).group(0))  # type: ignore[union-attr]
    while match := ATTRIBUTE.match(raw, position):
        position = match.end()
        if position < len(raw) and raw[position] not in " \t\n\r\f/>":
            return True
    return False


class FormMarkup(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.fields: dict[str, dict[str, str | None]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        raw = self.get_starttag_text() or ""
        names = [name for name, _ in attrs]
        for name, value in attrs:
            if glued(name):
                self.problems.append(f"glued attribute {name!r} in {raw}")
            if name in ("maxlength", "minlength") and not (value or "").isdigit():
                self.problems.append(f"{name}={value!r} is not a number in {raw}")
        if run_together(raw):
            self.problems.append(f"no space between attributes in {raw}")
        if len(set(names)) != len(names):
            self.problems.append(f"an attribute given twice in {raw}")
        found = dict(attrs)
        if tag in ("input", "select", "textarea") and found.get("name"):
            # The macros' fields are `f-<name>`; other forms on the page may reuse a name.
            for key in (found.get("id"), found["name"]):
                if key:
                    self.fields.setdefault(key, found)


def parse(html: str) -> FormMarkup:
    parser = FormMarkup()
    parser.feed(html)
    parser.close()
    return parser


async def _world(admin_id: int) -> dict[str, Any]:
    """One of everything a form page is about, made through the services where it is cheap."""
    runtime.install(box=crypto.SecretBox(crypto.generate_key()))
    admin = Actor(admin_id, "admin", True)
    await registries.ensure_default_registry()
    hub = (await Registry.select(Registry.id).first().run())["id"]
    private = await insert_row(Registry(name="local", url="http://127.0.0.1:5999"))
    pinned = await catalog.create_service(
        admin, ServiceInput(name="api", registry_id=hub, image="library/api", tag="1", port=80)
    )
    selectable = await catalog.create_service(
        admin,
        ServiceInput(
            name="web",
            registry_id=private,
            image="shop/web",
            tag_mode="selectable",
            tag_pattern="v*",
            port=8080,
        ),
    )
    schema = {
        "type": "object",
        "properties": {"rows": {"type": "integer"}, "db": {"type": "string"}},
    }
    plugin = await plugins.create_plugin(
        admin,
        PluginInput(
            name="seed", registry_id=hub, image="library/seed", tag="1", param_schema=schema
        ),
    )
    project = await insert_row(Project(name="shop", cpu=1.0, memory_mb=512))
    await secrets.set_secret(admin, project, "DB_PASSWORD", "s3cret-value")
    graph = {
        "nodes": [
            {"id": "api", "kind": "service", "config": {"service_id": pinned.id}},
            {"id": "web", "kind": "service", "config": {"service_id": selectable.id}},
        ],
        "edges": [],
        "layout": {},
    }
    version = await insert_row(PipelineVersion(project=project, version=1, graph=graph))
    env = await insert_row(Environment(name="qa", base_domain="qa.test"))
    node = await insert_row(Node(environment=env, name="n1", host="127.0.0.1", port=5001))
    deployment = await insert_row(
        Deployment(
            project=project,
            environment=env,
            pipeline_version=version,
            name="pr-1",
            status="failed",
            tags={"api": "1", "web": "v2"},
        )
    )
    seed = {"id": "seed", "kind": "plugin", "config": {"plugin_id": plugin.id, "params": {}}}
    team = await insert_row(Team(name="testers"))
    user = await insert_row(User(username="quinn", password_hash="x"))
    return {
        "registry": private,
        "service": selectable.id,
        "pinned": pinned.id,
        "plugin": plugin.id,
        "project": project,
        "environment": env,
        "node": node,
        "deployment": deployment,
        "team": team,
        "user": user,
        "graph": {**graph, "nodes": [*graph["nodes"], seed]},
    }


def form_pages(ids: dict[str, Any]) -> dict[str, set[str]]:
    """Each page (or HTMX fragment) holding a form → the fields that must be `required`."""
    tag_select = f"/services/{ids['service']}/tag-select?name=tag_web&selected=v2"
    return {
        "/account": {"name", "current_password", "new_password"},
        "/teams/": {"name"},
        f"/teams/{ids['team']}": {"name", "user_id"},
        "/users/": {"username", "password"},
        f"/users/{ids['user']}": set(),
        "/registries/": {"name", "url"},
        f"/registries/{ids['registry']}": {"name", "url"},
        "/services/new": {"name", "image", "cpu", "memory_mb", "registry_id"},
        f"/services/{ids['service']}": {"name", "image", "cpu", "memory_mb", "registry_id"},
        f"/services/{ids['pinned']}/tag-select?name=tag_api": set(),
        tag_select: set(),
        "/plugins/new": {"name", "image", "tag", "timeout_s", "cpu", "memory_mb"},
        f"/plugins/{ids['plugin']}": {"name", "image", "tag", "timeout_s", "cpu", "memory_mb"},
        "/projects/": {"name", "cpu", "memory_mb"},
        f"/projects/{ids['project']}": {"name", "cpu", "memory_mb"},
        f"/projects/{ids['project']}/secrets/panel": {"name", "value"},
        f"/projects/{ids['project']}/pipeline/": {"file"},
        "/environments/": {"name", "base_domain", "cleanup_hours"},
        f"/environments/{ids['environment']}": {"name", "base_domain", "cleanup_hours"},
        f"/nodes/{ids['node']}": set(),
        "/deployments/new": {"name", "project_id", "environment_id"},
        f"/deployments/new/tags?project_id={ids['project']}": set(),
        # A clone or retry keeps its source's project and environment (hidden, shown locked).
        f"/deployments/{ids['deployment']}/clone": {"name"},
        f"/deployments/{ids['deployment']}/retry": set(),
        f"/deployments/{ids['deployment']}": set(),
        "/deployments/": set(),
        "/audit": set(),
    }


def check(url: str, html: str, required: set[str]) -> list[str]:
    found = parse(html)
    problems = [f"{url}: {p}" for p in found.problems]
    for name in sorted(required):
        field = found.fields.get(f"f-{name}") or found.fields.get(name)
        if field is None:
            problems.append(f"{url}: no field named {name!r}")
        elif "required" not in field:
            problems.append(f"{url}: field {name!r} is not required: {field}")
    return problems


async def test_every_form_page_has_well_formed_attributes(client, admin):
    ids = await _world(admin.id)
    login = await client.get("/login")
    problems = check("/login", login.text, {"username", "password"})
    await client.login("admin", ADMIN_PASSWORD)
    for url, required in form_pages(ids).items():
        response = await client.get(url)
        assert response.status_code == 200, (url, response.status_code, response.text[:300])
        problems += check(url, response.text, required)
    for node in ("seed", "web"):  # the pipeline editor's config panel, an HTMX fragment
        panel = await client.post(
            f"/projects/{ids['project']}/pipeline/panel",
            data={"graph": json.dumps(ids["graph"]), "node": node},
            headers={"X-CSRF-Token": client.csrf, "HX-Request": "true"},
        )
        assert panel.status_code == 200, panel.text[:300]
        problems += check(f"panel {node}", panel.text, set())
    assert not problems, "\n".join(problems)


async def test_forms_rerendered_after_an_error_are_well_formed_too(client, admin):
    ids = await _world(admin.id)
    await client.login("admin", ADMIN_PASSWORD)
    refused = {
        "/teams/": {"name": ""},
        "/users/": {"username": "quinn", "password": "short"},
        "/projects/": {"name": "Not A Label", "cpu": "1", "memory_mb": "512"},
        "/environments/": {"name": "qa", "base_domain": "qa.test", "cleanup_hours": "24"},
        "/deployments/": {
            "project_id": str(ids["project"]),
            "environment_id": str(ids["environment"]),
            "name": "Bad Name",
            "tag_web": "v2",
        },
    }
    problems: list[str] = []
    for url, data in refused.items():
        response = await client.form(url, data)
        assert 400 <= response.status_code < 500, (url, response.status_code)
        problems += check(f"POST {url}", response.text, {"name"} if "name" in data else set())
    assert not problems, "\n".join(problems)


def test_the_checker_catches_the_markup_of_issue_16():
    broken = '<input name="n" requiredmaxlength="63"><input step="any"value="1" name="m">'
    assert len(parse(broken).problems) == 2
    assert parse('<input name="n" maxlength="x">').problems
    assert parse('<input name="n" required maxlength="63" autocomplete="off">').problems == []
