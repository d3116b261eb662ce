"""The pipeline editor in headless Chromium against a real `shoal up`: drag two plugins and a
service onto the canvas, connect them, fill a schema form, save (→ version 1 in the API: saving
the empty canvas first is refused, as an empty pipeline cannot be deployed); then
add a cycle: the error shows on the offending node and nothing is saved; a conflicting save
from another admin is refused and the canvas can still be downloaded; leaving warns."""

import asyncio
import json
from pathlib import Path

import pytest

from shoaltest.editor import (
    connect,
    drop_from_palette,
    select_node,
    signed_in_api,
)

pytestmark = [pytest.mark.e2e]


async def test_build_save_and_refuse_a_cycle(shoal_up, browser):
    context, page, api = await signed_in_api(browser, shoal_up)
    project = await api.call(
        "POST", "/projects", {"name": "e2e-pipeline", "cpu": 2, "memory_mb": 2048}
    )
    url = f"/projects/{project['id']}/pipeline"

    await page.goto(f"/projects/{project['id']}")
    assert "No pipeline yet: this project cannot be deployed" in await page.text_content(
        "#project-blocker"
    )
    await page.click("#project-pipeline-link")
    await page.wait_for_selector("#pl-canvas[data-ready]")  # the editor's handlers are bound
    await page.click("#pl-save")  # the empty canvas: refused, nothing stored
    await page.wait_for_selector("#pl-errors >> text=The pipeline was not saved: it is empty.")
    assert await api.call("GET", f"{url}/versions") == []
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
    await page.wait_for_selector("#pl-status:text-is('saved as version 1')")
    await page.wait_for_selector("#pl-version-list tr[data-version='1']")

    saved = await api.call("GET", url)
    assert (saved["version"], saved["message"]) == (1, "web, setup, wait")
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
    assert [v["version"] for v in await api.call("GET", f"{url}/versions")] == [1]

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
    await api.call("PUT", url, {**saved, "message": "someone else", "base_version": 1})
    await page.click("#pl-save")
    await page.wait_for_selector(
        "#pl-errors >> text=You edited version 1, but admin saved version 2"
    )
    async with page.expect_download() as download_info:
        await page.click("#pl-download")
    download = await download_info.value
    kept = json.loads(await asyncio.to_thread(Path(await download.path()).read_text))
    assert kept["shoal_pipeline"] == 1 and len(kept["nodes"]) == 3 and len(kept["edges"]) == 2
    assert kept["catalog"]["plugins"] and kept["version"] == 1
    dialogs = []

    async def on_dialog(dialog):
        dialogs.append(dialog.type)
        await dialog.accept()

    assert page.js_errors == []
    page.on("dialog", on_dialog)
    await page.close(run_before_unload=True)
    await page.wait_for_event("close")
    assert dialogs == ["beforeunload"]  # unsaved changes are never dropped silently
    assert (await api.call("GET", url))["version"] == 2
    await context.close()
