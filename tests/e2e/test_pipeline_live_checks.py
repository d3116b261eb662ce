"""Issue 25, live checks: in headless Chromium against a real `shoal up`, the editor shows what
a save would refuse while the admin edits, before any Save: an empty canvas, a cycle and an
unknown reference, each on its node (and the reference on its input in the panel), then the
marks go as each is fixed, and the fixed pipeline saves."""

import pytest

from shoaltest.editor import connect, drop_from_palette, select_node, signed_in_api

pytestmark = [pytest.mark.e2e]

CYCLE = "'e2e-web' is in a cycle: e2e-web → e2e-shell → e2e-wait → e2e-web."
GHOST = "${{ nodes.ghost.outputs.url }}"
UNKNOWN = f"params.script: {GHOST} names no node of this pipeline."


async def test_problems_show_on_their_node_while_editing_and_go_when_fixed(shoal_up, browser):
    context, page, api = await signed_in_api(browser, shoal_up)
    project = await api.call("POST", "/projects", {"name": "e2e-live", "cpu": 2, "memory_mb": 2048})
    url = f"/projects/{project['id']}/pipeline"
    checks: list[str] = []
    page.on("request", lambda r: r.url.endswith("/pipeline/check") and checks.append(r.url))
    await page.goto(url)
    await page.wait_for_selector("#pl-problems >> text=The pipeline is empty: add at least one")

    await drop_from_palette(page, "e2e-web", 120, 120)
    await page.wait_for_selector("#pl-problems", state="hidden")  # one service: nothing wrong
    await drop_from_palette(page, "e2e-shell", 420, 80)
    await drop_from_palette(page, "e2e-wait", 720, 160)
    await connect(page, "e2e-web", "e2e-shell")
    await connect(page, "e2e-shell", "e2e-wait")
    await connect(page, "e2e-wait", "e2e-web")  # web → shell → wait → web
    web = page.locator(".pl-node[data-id='e2e-web'].has-error .node-errors")
    await web.get_by_text(CYCLE).wait_for()
    assert await page.locator(".pl-node.has-error").count() == 3
    assert f"e2e-web: {CYCLE}" in await page.text_content("#pl-problems")
    assert await page.locator("#pl-errors").is_hidden()  # no Save was clicked
    assert await api.call("GET", f"{url}/versions") == []

    await select_node(page, "e2e-shell")
    typed_from = len(checks)
    await page.locator("#pp-script").press_sequentially(f"echo {GHOST}", delay=20)
    shell = page.locator(".pl-node[data-id='e2e-shell'] .node-errors")
    await shell.get_by_text(UNKNOWN).wait_for()
    assert len(checks) - typed_from <= 3, "each keystroke was checked: no debounce"
    await page.locator("#pl-panel .pl-panel-problems").get_by_text(UNKNOWN).wait_for()
    assert await page.locator("#pp-script.pl-field-problem").count() == 1

    await select_node(page, "e2e-wait")  # deleting it breaks the cycle
    await page.click("#pl-delete")
    await page.wait_for_selector(".pl-node[data-id='e2e-web'].has-error", state="detached")
    assert await shell.inner_text() == UNKNOWN  # the same answer: the reference is still wrong

    await select_node(page, "e2e-shell")
    await page.fill("#pp-script", "echo ok")
    await page.wait_for_selector(".pl-node.has-error", state="detached")
    await page.wait_for_selector("#pl-problems", state="hidden")
    assert await page.locator("#pp-script.pl-field-problem").count() == 0
    assert await page.locator("#pl-panel .pl-panel-problems").count() == 0

    await page.click("#pl-save")
    await page.wait_for_selector("#pl-status:text-is('saved as version 1')")
    assert [v["version"] for v in await api.call("GET", f"{url}/versions")] == [1]
    assert page.js_errors == []
    await context.close()
