"""The newcomer's path of issue 16, in headless Chromium against a real `shoal up` (embedded
PostgreSQL, its own Caddy, a local agent on dockerd) and a real registry, once on a desktop
(1400 px) and once on a phone (390 px): no page visited may be wider than the window.

The admin follows the onboarding checklist: a registry (typed without its scheme first), a
service, a project and its pipeline (an empty save first), a team with full access, and a
user who is told whom to ask until a team of theirs may deploy. The user deploys from the
home page's button (a bad name first: the picked tag stays), reads the logs right after
Deploy, copies and opens the URL through the ingress, watches each service's usage, extends
for an hour, clones with the other tag, finds both in the list, and deletes them."""

from __future__ import annotations

import json
import re
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from shoaltest.agent import remove_labelled
from shoaltest.browser import fits, free_port, running_shoal_up, sign_in, watch_widths
from shoaltest.editor import drop_from_palette

pytestmark = [pytest.mark.e2e, pytest.mark.docker]
SLOW = 120_000  # ms: a first pull and start on a busy two-core machine
PHONE, DESKTOP = 390, 1400


@pytest.fixture(scope="module")
def newcomer_images(registry, docker_client, busybox_image):
    for tag in ("v1", "v2"):
        with tempfile.TemporaryDirectory() as tmp:
            Path(tmp, "index.html").write_text(f"newcomer web {tag}\n")
            Path(tmp, "Dockerfile").write_text(  # COPY, not RUN: no build container needed
                f"FROM {busybox_image}\n"
                "COPY index.html /www/index.html\n"
                f'CMD ["sh", "-c", "echo newcomer web {tag} starting; '
                'exec httpd -f -p 8080 -h /www"]\n'
            )
            docker_client.images.build(path=tmp, tag=f"shoal-test/newcomer:{tag}", rm=True)
        registry.push(f"shoal-test/newcomer:{tag}", "shop/newcomer", tag)
    return registry


@pytest.fixture(scope="module")
def shoal(newcomer_images):
    listen = f"127.0.0.1:{free_port()}"
    with running_shoal_up(SHOAL_LOCAL_AGENT="true", SHOAL_LOCAL_AGENT_LISTEN=listen) as up:
        token = up.create_admin("ops", "ops-password-1")
        api = httpx.Client(
            base_url=f"{up.url}/api/v1", timeout=30, headers={"Authorization": f"Bearer {token}"}
        )
        yield up, api, newcomer_images
        remove_labelled((up.data_dir / "agent" / "agent-id").read_text().strip())


async def open_page(browser, shoal, username: str, password: str, width: int):
    context, page = await sign_in(
        browser, shoal.url, username, password, viewport={"width": width, "height": 860}
    )
    await context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.on("dialog", lambda dialog: dialog.accept())
    return context, page, watch_widths(page)


async def go(page, path: str) -> None:
    await page.goto(path)
    await page.wait_for_load_state("networkidle")
    await fits(page)


async def switch_help_sits_below_its_label(page) -> None:
    """No help text of a switch is drawn over the switch's own words (the node page)."""
    overlaps = await page.evaluate(
        """() => [...document.querySelectorAll("label > input[role=switch] + small")]
            .filter(small => small.getBoundingClientRect().top
                             < small.previousElementSibling.getBoundingClientRect().bottom - 1)
            .map(small => small.textContent)"""
    )
    assert overlaps == []


async def admin_sets_up(page, registry, n: str, width: int) -> dict:
    await go(page, "/")
    await page.click("text=Add a registry and services")  # the onboarding checklist
    await page.wait_for_url("**/registries")
    await page.fill("#f-name", f"local-{n}")
    await page.fill("#f-url", registry.url.removeprefix("http://"))  # the classic mistake
    await page.fill("#f-username", registry.username)
    await page.fill("#f-password", registry.password)
    await page.click("button[type=submit]:has-text('Add registry')")
    await page.wait_for_selector("text=answers plain HTTP")
    await fits(page)
    await page.fill("#f-url", registry.url)
    await page.fill("#f-password", registry.password)
    await page.click("button[type=submit]:has-text('Add registry')")
    await page.wait_for_selector(f"text=Registry 'local-{n}' added.")

    await go(page, "/services/new")
    await page.fill("#f-name", f"web-{n}")
    await page.select_option("#f-registry_id", label=f"local-{n} ({registry.url})")
    await page.fill("#f-image", "shop/newcomer")
    await page.check("input[name=tag_mode][value=selectable]")
    await page.fill("#f-tag_pattern", "v*")
    await page.fill("#f-port", "8080")
    await page.fill("#f-cpu", "0.1")
    await page.fill("#f-memory_mb", "32")
    await page.select_option("#f-hc_kind", "http")
    await page.click("button[type=submit]:has-text('Create service')")
    await page.wait_for_selector(f"text=Service 'web-{n}' saved.")
    await fits(page)

    await go(page, "/projects")
    await page.fill("#f-name", f"shop-{n}")
    await page.fill("#f-cpu", "0.25")
    await page.fill("#f-memory_mb", "128")
    await page.click("button[type=submit]:has-text('Create project')")
    await page.wait_for_selector(f"text=Project 'shop-{n}' created.")
    project_id = int(re.search(r"/projects/(\d+)", page.url).group(1))
    await page.wait_for_selector("#project-blocker")  # nothing to deploy yet, and it says so
    await page.click("#project-pipeline-link")
    await page.wait_for_selector("#pl-canvas[data-ready]")  # the editor's handlers are bound
    await fits(page)
    if width >= DESKTOP:  # the canvas: an empty save is refused, then one service
        await page.click("#pl-save")
        await page.wait_for_selector("#pl-errors >> text=The pipeline was not saved: it is empty.")
        await drop_from_palette(page, f"web-{n}", 160, 120)
        await page.click("#pl-save")
        await page.wait_for_selector("#pl-status:text-is('saved as version 1')")
    else:  # on a phone: a pipeline file, as an admin might keep one in a repository
        service_id = await page.get_attribute(f".pl-item:text-is('web-{n}')", "data-ref")
        node = {"id": f"web-{n}", "kind": "service", "config": {"service_id": int(service_id)}}
        document = {"shoal_pipeline": 1, "nodes": [node], "edges": [], "layout": {}}
        await page.set_input_files(
            "input[name=file]",
            files=[
                {
                    "name": "pipeline.json",
                    "mimeType": "application/json",
                    "buffer": json.dumps(document).encode(),
                }
            ],
        )
        await page.click("button[type=submit]:has-text('Import')")
        await page.wait_for_selector("text=Imported as version 1.")
    await go(page, f"/projects/{project_id}/pipeline/versions/1")

    await go(page, "/teams")
    await page.fill("#f-name", f"qa-{n}")
    await page.click("button[type=submit]:has-text('Create team')")
    await page.wait_for_selector(f"text=Team 'qa-{n}' created.")
    await page.select_option("#f-target", label=f"shop-{n}")
    await page.select_option("#f-level", "full")
    await page.click("button[type=submit]:has-text('Grant access')")
    await page.wait_for_selector("text=Access granted.")
    await fits(page)

    await go(page, "/users")
    await page.fill("#f-username", f"quinn-{n}")
    await page.fill("#f-display_name", "Quinn QA")
    await page.fill("#f-password", "quinn-password-1")
    await page.click("button[type=submit]:has-text('Create user')")
    await page.wait_for_selector(f"text=User 'quinn-{n}' created.")
    await fits(page)
    return {"project_id": project_id, "user_page": page.url}


async def admin_walks_the_other_pages(page) -> None:
    """The pages the setup did not pass through, and the node page's switches."""
    for path in ("/services", "/registries", "/plugins", "/ingress", "/audit", "/account"):
        await go(page, path)
    await go(page, "/environments")
    await page.click("a:text-is('local')")
    await page.click("#nodes tbody a >> nth=0")
    await page.wait_for_selector("nav[aria-label=breadcrumb] >> text=local")
    await fits(page)
    await switch_help_sits_below_its_label(page)


async def deploy(page, n: str, name: str, tag: str) -> int:
    """Fill the (new or clone) form and deploy; the deployment's id."""
    await page.select_option(f"select[name='tag_web-{n}']", tag)
    await page.fill("#f-name", name)
    await page.click("button[type=submit]:has-text('Deploy')")
    await page.wait_for_url(re.compile(r".*/deployments/\d+$"))
    await fits(page)
    return int(page.url.rsplit("/", 1)[1])


async def reach(context, page, tag: str) -> str:
    """Copy the first URL with its button, open it through the ingress: it serves `tag`."""
    copy = page.locator("table.urls button.copy").first
    url = await copy.get_attribute("data-copy")
    await copy.click()
    await page.wait_for_selector("table.urls button.copy:text-is('Copied')")
    assert await page.evaluate("() => navigator.clipboard.readText()") == url
    site = await context.new_page()
    for _ in range(60):  # the ingress applies the new route within moments of `running`
        await site.goto(url)
        if f"newcomer web {tag}" in await site.content():
            break
        await site.wait_for_timeout(250)
    assert f"newcomer web {tag}" in await site.content()
    await site.close()
    return url


async def shows_deleted(page, api, dep_id: int) -> None:
    """The page follows the deletion to its end; when it does not, say whether the deletion
    itself did not finish or only the page missed it."""
    try:
        await page.wait_for_selector(".deployment-status .badge.deleted", timeout=SLOW)
    except Exception as error:
        state = api.get(f"/deployments/{dep_id}").json()
        raise AssertionError(f"the page does not show 'deleted'; the API says {state}") from error


@pytest.mark.parametrize("width", [DESKTOP, PHONE], ids=["desktop", "phone"])
async def test_a_newcomer_sets_up_deploys_clones_and_deletes(shoal, browser, width):
    up, api, registry = shoal
    n = "d" if width == DESKTOP else "p"
    admin, page, admin_too_wide = await open_page(
        browser, up, up.admin_user, up.admin_password, width
    )
    world = await admin_sets_up(page, registry, n, width)
    await admin_walks_the_other_pages(page)

    user, qa, qa_too_wide = await open_page(browser, up, f"quinn-{n}", "quinn-password-1", width)
    await fits(qa)
    await qa.wait_for_selector("#home-ask-access >> text=Ask admin")  # no team yet: whom to ask
    assert await qa.locator("#home-new-deployment").count() == 0

    await go(page, world["user_page"])  # the admin adds the user to the team from there
    await page.select_option("#f-team_id", label=f"qa-{n}")
    await page.click("button[type=submit]:has-text('Add to team')")
    await page.wait_for_selector(f"text=Added to the team 'qa-{n}'.")
    await fits(page)

    await go(qa, "/")
    await qa.click("#home-new-deployment")
    tag_select = f"select[name='tag_web-{n}']"  # the pipeline's node is named after its service
    await qa.wait_for_selector(tag_select)
    await fits(qa)
    await qa.select_option(tag_select, "v1")
    await qa.fill("#f-name", "My First Deploy")  # not a DNS label
    await qa.click("button[type=submit]:has-text('Deploy')")
    await qa.wait_for_selector("#e-name")
    await qa.wait_for_selector(tag_select)
    assert await qa.input_value(tag_select) == "v1"  # the picked tag stays
    first = await deploy(qa, n, f"first-{n}", "v1")

    # the logs, opened right after Deploy, wait for the service and show its first line
    await qa.locator(".logs-lines", has_text="newcomer web v1 starting").wait_for(timeout=SLOW)
    await qa.wait_for_selector(".deployment-status .badge.running", timeout=SLOW)
    await fits(qa)
    await reach(user, qa, "v1")
    crumbs = qa.locator("nav[aria-label=breadcrumb] li")
    assert await crumbs.all_inner_texts() == [f"shop-{n}", "local", f"first-{n}"]

    # Extend leads, Delete is the quiet outline button; extend by the shortest choice
    delete = qa.locator(".actions button:text-is('Delete')")
    assert "outline" in (await delete.get_attribute("class") or "")
    await qa.select_option("select[name=hours]", label="1 hour")
    await qa.click(".actions button:text-is('Extend')")
    await qa.wait_for_selector("text=Extended")
    expires = datetime.fromisoformat(api.get(f"/deployments/{first}").json()["expires_at"])
    assert expires - datetime.now(UTC) < timedelta(hours=1, minutes=1)
    await fits(qa)

    # each service's CPU and memory, charted once a few heartbeats are in
    await qa.locator(f"figure.service-chart[data-service='web-{n}'] svg").first.wait_for(
        timeout=SLOW
    )
    await fits(qa)

    await qa.click(".actions >> text=Clone")
    await qa.wait_for_selector(f"h1:text-is('Clone first-{n}')")
    await qa.wait_for_selector(tag_select)
    assert await qa.input_value(tag_select) == "v1"  # the source's tag
    await fits(qa)
    second = await deploy(qa, n, f"second-{n}", "v2")
    await qa.wait_for_selector(".deployment-status .badge.running", timeout=SLOW)
    await reach(user, qa, "v2")

    if width < DESKTOP:  # the folded menu opens and leads on
        assert not await qa.locator(".nav-links").is_visible()
        await qa.click(".menu-toggle")
        await qa.click(".nav-links >> text=Deployments")
    else:
        await qa.click(".nav-links >> text=Deployments")
    await qa.wait_for_url("**/deployments")
    await qa.fill("input[name=q]", f"-{n}")
    await qa.press("input[name=q]", "Enter")
    await qa.wait_for_url(re.compile(r".*/deployments\?.*q="))
    await fits(qa)
    for dep_id, tag in ((first, "v1"), (second, "v2")):
        row = qa.locator(f"#deployment-{dep_id}")
        assert await row.locator("code").inner_text() == tag
        assert await row.locator(f"a[href^='http://web-{n}.']").count() == 1

    for dep_id in (first, second):
        await go(qa, f"/deployments/{dep_id}")
        await qa.click(".actions button:text-is('Delete')")
        await shows_deleted(qa, api, dep_id)
        await fits(qa)

    assert admin_too_wide == [] and qa_too_wide == []
    assert page.js_errors == [] and qa.js_errors == []
    await user.close()
    await admin.close()
