"""Issue 17: the image check on a preview's way to its URL asks the registry no more than it
must — a tag the cached listing already has needs no new request; one it lacks is asked
again (CI may have pushed it a moment ago); several services on one image are one request."""

from __future__ import annotations

import pytest

from core.registry_client import RegistryClient
from core.services import preview_images, tag_cache
from core.tables import PipelineVersion, Service
from shoaltest.registry import serve_from

pytestmark = [pytest.mark.docker]


@pytest.fixture
async def web_on_registry(world, registry, busybox_image, docker_client):
    """The world's selectable `web` on the session's real registry, under two nodes."""
    docker_client.images.get(busybox_image).tag("shoal-test/pv-check", "base")
    await serve_from(world.admin, registry, "web", "shop/pv-check")
    web = await Service.select(Service.id).where(Service.name == "web").first()
    graph = {
        "nodes": [
            {"id": name, "kind": "service", "config": {"service_id": web["id"]}}
            for name in ("web", "web2")
        ],
        "edges": [],
        "layout": {},
    }
    await PipelineVersion.insert(
        PipelineVersion(project=world.project_id, version=99, graph=graph)
    ).run()
    registry.push("shoal-test/pv-check:base", "shop/pv-check", "pr-1")
    tag_cache.clear()
    yield
    tag_cache.clear()


async def test_the_image_check_asks_the_registry_only_when_it_must(
    world, web_on_registry, monkeypatch
):
    calls: list[str] = []
    real_list_tags = RegistryClient.list_tags

    async def counted(self, repository: str) -> list[str]:
        calls.append(repository)
        return await real_list_tags(self, repository)

    monkeypatch.setattr(RegistryClient, "list_tags", counted)
    both = {"web": "pr-1", "web2": "pr-1"}
    assert await preview_images.missing(both, project_id=world.project_id) == []
    assert len(calls) == 1  # two services, one image: one request
    assert await preview_images.missing(both, project_id=world.project_id) == []
    assert len(calls) == 1  # the cached listing has the tag: no request

    other = {"web": "pr-1", "web2": "pr-2"}
    assert await preview_images.missing(other, project_id=world.project_id) == [
        "shop/pv-check:pr-2"
    ]
    assert len(calls) == 2  # a tag the cache lacks is asked for again, once
