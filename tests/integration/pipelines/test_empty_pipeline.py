"""Issue 16, item 6: an empty pipeline is never saved as the version deployments run, and a
project that has nothing to deploy says so on its page and in the New deployment form."""

from __future__ import annotations

import pytest

from core.services import pipelines
from core.services.deployment_inputs import EMPTY_PIPELINE, NO_PIPELINE
from core.tables import Environment, PipelineVersion
from shoaltest.db import insert_row
from shoaltest.web import ADMIN_PASSWORD, api_client

EMPTY = {"nodes": [], "edges": [], "layout": {}}


async def test_saving_an_empty_pipeline_is_refused_by_the_service_and_the_api(web_app, admin, shop):
    with pytest.raises(pipelines.PipelineInvalid, match="it is empty"):
        await pipelines.save_pipeline(shop.admin, shop.project.id, EMPTY, "nothing")
    async with await api_client(web_app, admin) as api:
        url = f"/api/v1/projects/{shop.project.id}/pipeline"
        refused = await api.put(url, json={**EMPTY, "message": "empty"})
    assert refused.status_code == 422
    body = refused.json()
    assert body["detail"] == pipelines.EMPTY_DETAIL
    assert body["issues"] == [{"node": None, "message": pipelines.EMPTY}]
    assert await PipelineVersion.count().run() == 0


async def test_the_project_page_and_the_form_say_why_it_cannot_be_deployed(
    client, admin, shop, graph_for
):
    project = shop.project.id
    env = await insert_row(Environment(name="qa", base_domain="qa.test"))
    await client.login("admin", ADMIN_PASSWORD)
    page = await client.page(f"/projects/{project}")
    assert NO_PIPELINE in page.text
    assert f'<a href="/projects/{project}/pipeline">Open the editor</a>' in page.text
    fields = await client.get("/deployments/new/tags", params={"project_id": project})
    assert NO_PIPELINE in fields.text and "Open the editor" in fields.text
    create = {"project_id": str(project), "environment_id": str(env), "name": "pr-1"}
    refused = await client.form("/deployments/", create)
    assert refused.status_code == 409
    assert f'<small class="error" role="alert">{NO_PIPELINE}</small>' in refused.text

    # A version saved empty before the rule existed: the same refusal, its own words.
    await insert_row(PipelineVersion(project=project, version=1, graph=EMPTY))
    assert EMPTY_PIPELINE in (await client.page(f"/projects/{project}")).text
    assert EMPTY_PIPELINE in (await client.form("/deployments/", create)).text

    await pipelines.save_pipeline(shop.admin, project, graph_for(shop), "real")
    after = await client.page(f"/projects/{project}")
    assert 'id="project-blocker"' not in after.text
