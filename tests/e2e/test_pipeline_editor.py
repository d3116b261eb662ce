"""The pipeline editor in headless Chromium against a real `shoal up`: drag two plugins and a
service onto the canvas, connect them, fill a schema form, save (→ version 2 in the API); then
add a cycle: the error shows on the offending node and nothing is saved; leaving warns."""

import asyncio
import json
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e]

SHELL_SCHEMA = {
    "type": "object",
    "properties": {
        "script": {"type": "string", "minLength": 1, "description": "Script run on apply"},
        "shell": {"enum": ["sh", "bash"], "default": "sh", "description": "Interpreter"},
        "retries": {"type": "integer", "default": 1},
    },
    "required": ["script"],
    "additionalProperties": False,
}
WAIT_SCHEMA = {
    "type": "object",
    "properties": {"url": {"type": "string", "description": "URL to wait for"}},
    "required": ["url"],
}


async def sign_in(browser, shoal_up):
    context = await browser.new_context(
        base_url=shoal_up.url, viewport={"width": 1500, "height": 950}
    )
    page = await context.new_page()
    await page.goto("/login")
    await page.fill("#f-username", shoal_up.admin_user)
    await page.fill("#f-password", shoal_up.admin_password)
    await page.click("button[type=submit]")
    await page.wait_for_url("**/")
    return context, page


class Api:
    """The JSON API through the browser's own session (cookie + CSRF header)."""

    def __init__(self, context, csrf: str) -> None:
        self.context, self.csrf = context, csrf

    async def call(self, method: str, path: str, body: object = None) -> dict:
        answer = await self.context.request.fetch(
            f"/api/v1{path}",
            method=method,
            data=json.dumps(body) if body is not None else None,
            headers={"Content-Type": "application/json", "X-CSRF-Token": self.csrf},
        )
        assert answer.ok, f"{method} {path}: {answer.status} {await answer.text()}"
        return await answer.json()


async def ensure_catalog(api: Api) -> None:
    """The service and two plugins these tests drag in (created once per `shoal up`)."""
    registry = next(r for r in await api.call("GET", "/registries") if r.get("is_default"))
    if not any(s["name"] == "e2e-web" for s in await api.call("GET", "/services")):
        await api.call(
            "POST",
            "/services",
            {
                "name": "e2e-web",
                "registry_id": registry["id"],
                "image": "library/nginx",
                "tag_mode": "pinned",
                "tag": "1.27",
                "port": 8080,
            },
        )
    have = {p["name"] for p in await api.call("GET", "/plugins")}
    for name, schema in (("e2e-shell", SHELL_SCHEMA), ("e2e-wait", WAIT_SCHEMA)):
        if name not in have:
            await api.call(
                "POST",
                "/plugins",
                {
                    "name": name,
                    "registry_id": registry["id"],
                    "image": f"shoal/{name}",
                    "tag": "1.0",
                    "param_schema": schema,
                },
            )


async def center(page, selector: str) -> tuple[float, float]:
    box = await page.locator(selector).bounding_box()
    assert box, selector
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


async def drag(page, source: tuple[float, float], target: tuple[float, float]) -> None:
    await page.mouse.move(*source)
    await page.mouse.down()
    await page.mouse.move(*target, steps=8)
    await page.mouse.up()


async def drop_from_palette(page, name: str, x: float, y: float) -> None:
    canvas = await page.locator("#pl-canvas").bounding_box()
    await drag(
        page, await center(page, f".pl-item:text-is('{name}')"), (canvas["x"] + x, canvas["y"] + y)
    )
    await page.wait_for_selector(f".pl-node[data-id='{name}']")


async def connect(page, source: str, target: str) -> None:
    await drag(
        page,
        await center(page, f".pl-node[data-id='{source}'] .pl-out"),
        await center(page, f".pl-node[data-id='{target}'] .pl-title"),
    )
    await page.wait_for_selector(
        f"path.pl-edge-hit[data-edge='{source}->{target}']", state="attached"
    )


async def select_node(page, node_id: str) -> None:
    await page.click(f".pl-node[data-id='{node_id}'] .pl-title")
    await page.wait_for_selector(f".pl-panel-body[data-node='{node_id}']")


async def test_build_save_and_refuse_a_cycle(shoal_up, browser):
    context, page = await sign_in(browser, shoal_up)
    csrf = json.loads(await page.get_attribute("body", "hx-headers"))["X-CSRF-Token"]
    api = Api(context, csrf)
    await ensure_catalog(api)
    project = await api.call(
        "POST", "/projects", {"name": "e2e-pipeline", "cpu": 2, "memory_mb": 2048}
    )
    url = f"/projects/{project['id']}/pipeline"
    first = await api.call("PUT", url, {"nodes": [], "edges": [], "layout": {}, "message": "empty"})
    assert first["version"] == 1

    await page.goto(f"/projects/{project['id']}")
    await page.click("#project-pipeline-link")
    await page.wait_for_selector("#pl-canvas")
    await drop_from_palette(page, "e2e-web", 120, 120)
    await drop_from_palette(page, "e2e-shell", 420, 80)
    await drop_from_palette(page, "e2e-wait", 720, 160)
    await connect(page, "e2e-web", "e2e-shell")
    await connect(page, "e2e-shell", "e2e-wait")
    assert await page.text_content("#pl-status") == "unsaved changes"

    await select_node(page, "e2e-shell")
    assert "Script run on apply" in await page.text_content("#pl-panel")
    await page.fill("#pp-script", "echo ready")
    await page.select_option("#pp-shell", label="bash")
    await page.fill("#pp-retries", "3")
    await select_node(page, "e2e-wait")
    await page.select_option(".pl-ref[data-target='pp-url']", "${{ urls.e2e-web }}")
    assert await page.input_value("#pp-url") == "${{ urls.e2e-web }}"
    await select_node(page, "e2e-web")
    await page.fill("#ps-memory", "300")

    await page.fill("#pl-message", "web, setup, wait")
    await page.click("#pl-save")
    await page.wait_for_selector("#pl-status:text-is('saved as version 2')")
    await page.wait_for_selector("#pl-version-list tr[data-version='2']")

    saved = await api.call("GET", url)
    assert (saved["version"], saved["message"]) == (2, "web, setup, wait")
    nodes = {n["id"]: n for n in saved["nodes"]}
    assert set(nodes) == {"e2e-web", "e2e-shell", "e2e-wait"}
    assert nodes["e2e-shell"]["config"]["params"] == {
        "script": "echo ready",
        "shell": "bash",
        "retries": 3,
    }
    assert nodes["e2e-shell"]["config"]["tag"] == "1.0"
    assert nodes["e2e-wait"]["config"]["params"] == {"url": "${{ urls.e2e-web }}"}
    assert nodes["e2e-web"]["config"]["memory_mb"] == 300
    assert sorted((e["from"], e["to"]) for e in saved["edges"]) == [
        ("e2e-shell", "e2e-wait"),
        ("e2e-web", "e2e-shell"),
    ]
    assert set(saved["layout"]) == set(nodes)

    await connect(page, "e2e-wait", "e2e-web")  # web → shell → wait → web
    await page.click("#pl-save")
    error = page.locator(".pl-node[data-id='e2e-web'].has-error .node-errors")
    await error.wait_for()
    assert "'e2e-web' is in a cycle: e2e-web → e2e-shell → e2e-wait → e2e-web." in (
        await error.inner_text()
    )
    assert "in a cycle" in await page.text_content("#pl-errors")
    assert [v["version"] for v in await api.call("GET", f"{url}/versions")] == [2, 1]

    # deleting the edge (select it, Delete key) makes the graph valid again
    midpoint = await page.eval_on_selector(
        "path.pl-edge-hit[data-edge='e2e-wait->e2e-web']",
        """path => {  // a point of the edge that no node covers
            const m = path.getScreenCTM();
            for (let f = 0.1; f < 1; f += 0.05) {
                const p = path.getPointAtLength(path.getTotalLength() * f);
                const x = p.x * m.a + p.y * m.c + m.e, y = p.x * m.b + p.y * m.d + m.f;
                if (document.elementFromPoint(x, y) === path) return [x, y];
            }
            return null;
        }""",
    )
    assert midpoint, "the edge is hidden under nodes everywhere"
    await page.mouse.click(*midpoint)
    await page.wait_for_selector("path.pl-edge.selected", state="attached")
    await page.keyboard.press("Delete")
    assert await page.locator("path.pl-edge-hit[data-edge='e2e-wait->e2e-web']").count() == 0

    # another admin saves meanwhile: our save is refused with a clear conflict, nothing lost
    await api.call("PUT", url, {**saved, "message": "someone else", "base_version": 2})
    await page.click("#pl-save")
    await page.wait_for_selector(
        "#pl-errors >> text=You edited version 2, but admin saved version 3"
    )
    async with page.expect_download() as download_info:
        await page.click("#pl-download")
    download = await download_info.value
    kept = json.loads(await asyncio.to_thread(Path(await download.path()).read_text))
    assert kept["shoal_pipeline"] == 1 and len(kept["nodes"]) == 3 and len(kept["edges"]) == 2
    assert kept["catalog"]["plugins"] and kept["version"] == 2
    dialogs = []

    async def on_dialog(dialog):
        dialogs.append(dialog.type)
        await dialog.accept()

    page.on("dialog", on_dialog)
    await page.close(run_before_unload=True)
    await page.wait_for_event("close")
    assert dialogs == ["beforeunload"]  # unsaved changes are never dropped silently
    assert (await api.call("GET", url))["version"] == 3
    await context.close()


async def world_transform(page) -> str:
    return await page.eval_on_selector("#pl-world", "el => el.style.transform")


async def test_canvas_keyboard_move_zoom_pan_rename_delete_layout(shoal_up, browser):
    context, page = await sign_in(browser, shoal_up)
    csrf = json.loads(await page.get_attribute("body", "hx-headers"))["X-CSRF-Token"]
    api = Api(context, csrf)
    await ensure_catalog(api)
    project = await api.call("POST", "/projects", {"name": "e2e-canvas"})
    url = f"/projects/{project['id']}/pipeline"
    await page.goto(url)
    assert await page.text_content("#pl-status") == "no version yet"

    await page.focus(".pl-item:text-is('e2e-shell')")  # the palette works from the keyboard
    await page.keyboard.press("Enter")
    await page.focus(".pl-item:text-is('e2e-wait')")
    await page.keyboard.press("Enter")
    await page.wait_for_selector(".pl-node[data-id='e2e-wait']")
    node = page.locator(".pl-node[data-id='e2e-shell']")
    before = await node.bounding_box()
    start = await center(page, ".pl-node[data-id='e2e-shell'] .pl-title")
    await drag(page, start, (start[0] + 120, start[1] + 60))
    after = await node.bounding_box()
    assert round(after["x"] - before["x"]) == 120 and round(after["y"] - before["y"]) == 60

    zoom = await world_transform(page)
    await page.click("#pl-zoom-in")
    assert "scale(1.2)" in await world_transform(page) and "scale(1)" in zoom
    canvas = await page.locator("#pl-canvas").bounding_box()
    empty = (canvas["x"] + canvas["width"] - 30, canvas["y"] + canvas["height"] - 30)
    await drag(page, empty, (empty[0] - 50, empty[1] - 40))  # pan
    panned = await world_transform(page)
    assert panned != zoom and "scale(1.2)" in panned
    await page.mouse.move(*empty)
    await page.mouse.wheel(0, 300)
    assert "scale(1.2)" not in await world_transform(page)

    await select_node(page, "e2e-wait")
    await page.click("#pl-delete")
    assert await page.locator(".pl-node[data-id='e2e-wait']").count() == 0
    await select_node(page, "e2e-shell")
    await page.fill("#pn-id", "setup")
    await page.wait_for_selector(".pl-node[data-id='setup']")
    await page.click("#pl-layout")
    assert await page.eval_on_selector(".pl-node[data-id='setup']", "el => el.style.left") == "0px"

    await page.click("#pl-save")  # the required script is missing: shown on the node
    error = page.locator(".pl-node[data-id='setup'] .node-errors")
    await error.wait_for()
    assert "Parameter (root): 'script' is a required property" in await error.inner_text()
    await select_node(page, "setup")
    await page.fill("#pp-script", "true")
    await page.click("#pl-save")
    await page.wait_for_selector("#pl-status:text-is('saved as version 1')")
    assert await page.locator(".pl-node.has-error").count() == 0
    saved = await api.call("GET", url)
    assert [n["id"] for n in saved["nodes"]] == ["setup"]
    assert saved["layout"] == {"setup": {"x": 0.0, "y": 0.0}}
    await page.goto(f"/projects/{project['id']}")  # nothing unsaved: no dialog
    await context.close()
