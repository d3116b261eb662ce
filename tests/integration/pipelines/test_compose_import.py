"""Compose import on the real database: one transaction, or nothing at all."""

from pathlib import Path

import pytest

from core import crypto, runtime
from core.actor import Actor
from core.domain.compose import ComposeInvalid
from core.domain.compose.plan import Choices, ServiceChoice
from core.errors import Forbidden
from core.services import compose_import, pipelines, secrets
from core.tables import PipelineVersion, Registry, Secret, Service
from shoaltest.db import insert_row

CORPUS = Path(__file__).resolve().parents[2] / "data" / "compose"


async def _state(project_id: int) -> tuple[list[str], set[str], int]:
    names = [r["name"] for r in await Service.select(Service.name).order_by(Service.name).run()]
    versions = await PipelineVersion.count().where(PipelineVersion.project == project_id).run()
    return names, await secrets.secret_names(project_id), versions


async def test_an_import_creates_services_secrets_and_a_version(shop):
    await insert_row(Registry(name="example", url="https://registry.example.com"))
    text = (CORPUS / "02-web-redis-worker.yml").read_text()
    choices = Choices(services={"web": ServiceChoice(selectable=True, tag_pattern="2.*")})
    saved = await compose_import.import_compose(shop.admin, shop.project.id, text, choices)
    assert saved.version == 1 and saved.message == "Imported from a compose file"
    rows = await Service.select().where(Service.name.like("shop-%")).order_by(Service.id).run()
    assert [(r["name"], r["image"], r["tag_mode"], r["tag"], r["tag_pattern"]) for r in rows] == [
        ("shop-web", "team/app", "selectable", "", "2.*"),
        ("shop-worker", "team/app", "pinned", "2.1.0", ""),
        ("shop-redis", "redis", "pinned", "7-alpine", ""),
    ]
    assert rows[0]["command"] == "gunicorn app:wsgi -b 0.0.0.0:8000" and rows[0]["port"] == 8000
    assert (rows[2]["cpu"], rows[2]["memory_mb"], rows[2]["port"]) == (0.25, 128, 6379)
    revealed = await secrets.reveal_secrets(shop.project.id)
    assert revealed["WEB_SECRET_KEY"] == "change-me"
    web = next(n for n in saved.nodes if n["id"] == "web")
    assert web["config"]["env"]["SECRET_KEY"] == "${{ secrets.WEB_SECRET_KEY }}"
    assert {(e["from"], e["to"]) for e in saved.edges} == {("redis", "web"), ("redis", "worker")}


async def test_a_refused_pipeline_leaves_nothing_behind(shop):
    before = await _state(shop.project.id)
    text = """
services:
  api: {image: "busybox:1", environment: {TOKEN: t0k}, deploy: {resources: {limits: {cpus: "1.5"}}}}
  web: {image: "busybox:1", deploy: {resources: {limits: {cpus: "1.5"}}}}
"""
    with pytest.raises(ComposeInvalid) as caught:
        await compose_import.import_compose(shop.admin, shop.project.id, text, Choices())
    assert caught.value.detail.startswith("Nothing was imported:")
    assert "over the project's limit of 2 CPU" in caught.value.detail
    assert await _state(shop.project.id) == before
    assert not await Secret.exists().where(Secret.name == "API_TOKEN").run()


async def test_the_preview_names_what_this_shoal_refuses(shop):
    await secrets.set_secret(shop.admin, shop.project.id, "DB_POSTGRES_PASSWORD", "old")
    text = """
services:
  db: {image: "postgres:16", environment: {POSTGRES_PASSWORD: pw}, cap_add: [NOT_A_CAP]}
  cache: {image: "redis:7"}
"""
    choices = Choices(services={"cache": ServiceChoice(catalog_name="postgres")})
    found = await compose_import.preview(shop.admin, shop.project.id, text, choices)
    assert found.replaced_secrets == ["DB_POSTGRES_PASSWORD"]
    assert "The catalog already has a service named 'postgres': choose another name." in (
        found.plan.problems
    )
    assert any(p.startswith("services.db (cap_add):") for p in found.plan.problems)
    with pytest.raises(ComposeInvalid):
        await compose_import.import_compose(shop.admin, shop.project.id, text, choices)


async def test_only_admins_import(shop):
    runtime.install(box=crypto.SecretBox(crypto.generate_key()))
    user = Actor(id=shop.admin.id, username="someone", is_admin=False)
    with pytest.raises(Forbidden):
        await compose_import.preview(user, shop.project.id, "services: {}", Choices())
    with pytest.raises(Forbidden):
        await compose_import.import_compose(user, shop.project.id, "services: {}", Choices())
    assert await pipelines.latest_number(shop.project.id) == 0
