"""Issue 16, item 7: what a deployment page says follows the deployment's real state: the
action's toast, the steps of a run that is over, the run's number, and a Docker error put
in words (with Docker's own text one click away)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html import unescape

from core.tables import Deployment, PipelineRun, PipelineStep
from shoaltest.db import insert_row

MISSING_TAG = (
    "web: pull 127.0.0.1:5999/shop/web:v9: manifest for 127.0.0.1:5999/shop/web:v9 not found: "
    "manifest unknown: manifest unknown"
)


async def set_status(dep_id: int, status: str, error: str = "") -> None:
    values = {Deployment.status: status, Deployment.error: error}
    await Deployment.update(values).where(Deployment.id == dep_id).run()


def html_text(fragment: str) -> str:
    return unescape(re.sub(r"<[^>]+>", "", fragment)).strip()


def toast(html: str) -> str | None:
    found = re.search(
        r'<div id="toast-deployment-\d+" class="toast toast-(\w+)"[^>]*>(.*?)</div>', html, re.S
    )
    return f"{found.group(1)}: {html_text(found.group(2))}" if found else None


async def test_the_toast_of_an_action_follows_the_deployment(world, client, queue):
    await client.login("admin", "admin-password-1")
    await client.page("/deployments/new")
    made = await client.form(
        "/deployments/",
        {
            "project_id": str(world.project_id),
            "environment_id": str(world.env_id),
            "name": "pr-5",
            "tag_web": "v1",
        },
    )
    assert made.status_code == 303
    dep_id = int(made.headers["location"].rsplit("/", 1)[1])
    await set_status(dep_id, "failed", MISSING_TAG)  # it failed before the page was drawn
    page = await client.get(f"/deployments/{dep_id}")
    assert toast(page.text) == "error: 'pr-5' failed: what went wrong is shown below."
    assert "on its way" not in page.text
    assert f'hx-include="#toast-deployment-{dep_id}"' in page.text

    live = f"/deployments/{dep_id}/live"
    with_toast = await client.get(live, params={"toast": f"deployment-{dep_id}"})
    assert toast(with_toast.text) == "error: 'pr-5' failed: what went wrong is shown below."
    assert 'hx-swap-oob="true"' in with_toast.text
    assert toast((await client.get(live)).text) is None  # no toast on the page: none sent
    await set_status(dep_id, "deploying")
    under_way = await client.get(live, params={"toast": f"deployment-{dep_id}"})
    assert toast(under_way.text) is None  # "on its way" still holds: left alone
    await set_status(dep_id, "running")
    running = await client.get(live, params={"toast": f"deployment-{dep_id}"})
    assert toast(running.text) == "success: 'pr-5' is running."


async def test_a_missing_tag_is_explained_and_dockers_text_is_one_click_away(world, client, queue):
    dep = await world.deploy("pr-6", tags={"web": "v2"})
    run = (await PipelineRun.select(PipelineRun.id).first().run())["id"]
    await insert_row(
        PipelineStep(run=run, node_id="web", kind="service", status="failed", error=MISSING_TAG)
    )
    await set_status(dep.id, "failed", MISSING_TAG)
    await client.login("admin", "admin-password-1")
    page = (await client.get(f"/deployments/{dep.id}")).text
    words = (
        "web: The image 127.0.0.1:5999/shop/web:v9 does not exist in the registry "
        "(tag v9 not found). Pick another tag."
    )
    assert page.count(words) == 2  # the deployment's error and the failed step's
    raw = re.findall(r"<details class=\"raw-error\"><summary[^>]*>Docker's message</summary>"
                     r"<pre class=\"small\">([^<]*)</pre>", page)  # fmt: skip
    assert raw == [MISSING_TAG, MISSING_TAG]


async def test_runs_are_numbered_per_deployment(world, client, queue):
    first = await world.deploy("pr-7", tags={"web": "v2"})
    for _ in range(3):
        await insert_row(PipelineRun(deployment=first.id, action="deploy"))
    second = await world.deploy("pr-8", tags={"web": "v2"})  # run id 5, its first run
    await client.login("admin", "admin-password-1")
    assert "(run 1)" in (await client.get(f"/deployments/{second.id}")).text
    assert "(run 4)" in (await client.get(f"/deployments/{first.id}")).text


async def test_a_removed_deployment_has_no_step_waiting_for_ever(world, client, queue):
    dep = await world.deploy("pr-9", tags={"web": "v2"})
    deploy_run = (await PipelineRun.select(PipelineRun.id).first().run())["id"]
    for node in ("api", "web"):
        await insert_row(
            PipelineStep(run=deploy_run, node_id=node, kind="service", status="succeeded")
        )
    removal = await insert_row(PipelineRun(deployment=dep.id, action="delete"))
    await set_status(dep.id, "deleting")
    await client.login("admin", "admin-password-1")
    live = f"/deployments/{dep.id}/live"
    deleting = (await client.get(live)).text
    assert deleting.count('<span class="badge pending">removing</span>') == 2

    await set_status(dep.id, "deleted")
    now = datetime.now(UTC)
    await (
        PipelineRun.update({PipelineRun.status: "succeeded", PipelineRun.finished_at: now})
        .where(PipelineRun.id == removal)
        .run()
    )
    deleted = (await client.get(live)).text
    assert "waiting" not in deleted
    assert deleted.count('<span class="badge idle">removed</span>') == 2
