"""Helpers for the pipeline editor's browser tests: sign in, the API through the browser's
session, the catalog the tests drag in, and pointer gestures on the canvas."""

from __future__ import annotations

import json

from shoaltest.browser import sign_in as browser_sign_in

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
    """The first admin, on a page wide enough for the canvas and its side panel."""
    return await browser_sign_in(
        browser,
        shoal_up.url,
        shoal_up.admin_user,
        shoal_up.admin_password,
        viewport={"width": 1500, "height": 950},
    )


async def signed_in_api(browser, shoal_up):
    """`sign_in`, plus the API through that session with the catalog the tests drag in."""
    context, page = await sign_in(browser, shoal_up)
    csrf = json.loads(await page.get_attribute("body", "hx-headers"))["X-CSRF-Token"]
    api = Api(context, csrf)
    await ensure_catalog(api)
    return context, page, api


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


async def world_transform(page) -> str:
    return await page.eval_on_selector("#pl-world", "el => el.style.transform")
