"""Canvas mechanics of the pipeline editor in headless Chromium: keyboard palette, move, zoom
(buttons and wheel), pan, delete button, rename, auto-layout, a required parameter shown on its
node, then a clean save."""

import pytest

from shoaltest.editor import (
    center,
    drag,
    select_node,
    signed_in_api,
    world_transform,
)

pytestmark = [pytest.mark.e2e]


async def test_canvas_keyboard_move_zoom_pan_rename_delete_layout(shoal_up, browser):
    context, page, api = await signed_in_api(browser, shoal_up)
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
    assert page.js_errors == []
    await context.close()


async def test_api_graph_without_layout_and_the_read_only_version_view(shoal_up, browser):
    context, page, api = await signed_in_api(browser, shoal_up)
    plugins = {p["name"]: p["id"] for p in await api.call("GET", "/plugins")}
    project = await api.call("POST", "/projects", {"name": "e2e-as-code"})
    url = f"/projects/{project['id']}/pipeline"
    step = {
        "kind": "plugin",
        "config": {"plugin_id": plugins["e2e-shell"], "params": {"script": "x"}},
    }
    graph = {
        "nodes": [{"id": "one", **step}, {"id": "two", **step}],
        "edges": [{"from": "one", "to": "two"}],
    }
    await api.call("PUT", url, graph)  # pipelines as code: no layout at all

    await page.goto(f"{url}/versions/1")
    one = await page.locator(".pl-node[data-id='one']").bounding_box()
    two = await page.locator(".pl-node[data-id='two']").bounding_box()
    assert two["x"] > one["x"] + one["width"]  # placed by run order, not stacked
    assert await page.locator("#pl-save").count() == 0
    await select_node(page, "two")
    assert await page.locator("#pp-script").is_disabled()
    assert await page.input_value("#pp-script") == "x"
    assert page.js_errors == []
    await context.close()
