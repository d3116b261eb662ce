"""Export: a version as a compose file that Debian's docker-compose accepts, and back.

import → export → `docker-compose config` → import again gives the same pipeline and the same
catalog settings (only the catalog services' names differ: they are per project).
"""

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from core.actor import Actor
from core.domain.compose.plan import Choices
from core.services import accounts, compose_export, compose_import, secrets, teams
from core.services.projects import ProjectInput, create_project
from core.tables import Registry, Service
from shoaltest.db import insert_row
from shoaltest.web import api_client

CORPUS = Path(__file__).resolve().parents[2] / "data" / "compose"
ROUND_TRIP = [
    "01-web-postgres.yml",
    "02-web-redis-worker.yml",
    "03-wordpress-mariadb.yml",
    "04-three-tier-healthchecks.yml",
]
CATALOG_KEYS = (
    "registry image tag_mode tag tag_pattern port env health_check command cpu memory_mb "
    "cap_add cap_drop run_as"
).split()


def compose_config(path: Path, env: dict[str, str]) -> str:
    binary = shutil.which("docker-compose")
    assert binary, "docker-compose is missing: build/deps.sh test installs it"
    done = subprocess.run(
        [binary, "-f", str(path), "config"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **env},
        cwd=path.parent,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


async def _catalog(version) -> dict[str, dict]:
    """node id → its catalog service's settings (without name and ids)."""
    found = {}
    for node in version.nodes:
        row = (
            await Service.select()
            .where(Service.id == node["config"]["service_id"])
            .output(load_json=True)
            .first()
            .run()
        )
        found[node["id"]] = {key: row[key] for key in CATALOG_KEYS}
    return found


def _graph(version) -> dict:
    nodes = [
        {**n, "config": {k: v for k, v in n["config"].items() if k != "service_id"}}
        for n in version.nodes
    ]
    return {"nodes": nodes, "edges": version.edges, "layout": version.layout}


@pytest.mark.parametrize("name", ROUND_TRIP)
async def test_round_trip_through_docker_compose(shop, tmp_path, name):
    await insert_row(Registry(name="example", url="https://registry.example.com"))
    await insert_row(Registry(name="ghcr", url="https://ghcr.io"))
    first = await compose_import.import_compose(
        shop.admin, shop.project.id, (CORPUS / name).read_text(), Choices()
    )
    _, text = await compose_export.export_compose(shop.admin, shop.project.id)
    values = await secrets.reveal_secrets(shop.project.id)
    assert not any(value in text for value in values.values())  # no secret value in the file
    exported = tmp_path / "docker-compose.yml"
    exported.write_text(text)
    config = yaml.safe_load(compose_config(exported, values))
    assert set(config["services"]) == {n["id"] for n in first.nodes}

    other = await create_project(shop.admin, ProjectInput(name="copy", cpu=2.0, memory_mb=2048))
    again = await compose_import.import_compose(
        shop.admin, other.id, text, Choices(variables=values)
    )
    assert _graph(again) == _graph(first)
    assert await _catalog(again) == await _catalog(first)
    used = {k: v for k, v in values.items() if "${" + k + "}" in text}
    assert used and await secrets.reveal_secrets(other.id) == used


async def test_a_selectable_tag_and_shoal_references_become_variables(shop, tmp_path):
    from core.services import pipelines

    graph = {
        "nodes": [
            {"id": "db", "kind": "service", "config": {"service_id": shop.postgres}},
            {
                "id": "web",
                "kind": "service",
                "config": {
                    "service_id": shop.web,
                    "env": {
                        "DB": "postgres://app:${{ secrets.DB_PASSWORD }}@db/app",
                        "PRICE": "$5",
                        "SELF": "${{ urls.web }}",
                    },
                },
            },
            {
                "id": "seed",
                "kind": "plugin",
                "config": {"plugin_id": shop.shell, "params": {"script": "x"}},
            },
        ],
        "edges": [{"from": "db", "to": "seed"}, {"from": "seed", "to": "web"}],
        "layout": {},
    }
    await (
        Service.update({Service.tag_mode: "selectable", Service.tag_pattern: "1.*"})
        .where(Service.id == shop.web)
        .run()
    )
    await pipelines.save_pipeline(shop.admin, shop.project.id, graph)
    _, text = await compose_export.export_compose(shop.admin, shop.project.id)
    document = yaml.safe_load(text)
    web = document["services"]["web"]
    assert web["image"] == "library/web:${WEB_TAG:?set a tag of library/web (1.*)}"
    assert web["environment"] == {
        "DB": "postgres://app:${DB_PASSWORD}@db/app",
        "PRICE": "$$5",
        "SELF": "${SHOAL_URLS_WEB}",
    }
    assert web["depends_on"] == {"db": {"condition": "service_started"}}
    assert document["x-shoal"]["skipped"] == ["seed"]
    exported = tmp_path / "docker-compose.yml"
    exported.write_text(text)
    env = {"WEB_TAG": "1.2", "DB_PASSWORD": "pw", "SHOAL_URLS_WEB": "http://localhost"}
    config = yaml.safe_load(compose_config(exported, env))
    assert config["services"]["web"]["image"] == "library/web:1.2"
    # `config` writes compose again, so the literal dollar stays escaped
    assert config["services"]["web"]["environment"]["PRICE"] == "$$5"


async def test_export_access_and_hidden_catalog_env(web_app, admin, shop):
    from core.services import catalog, pipelines

    data = await catalog.get_service(shop.web, shop.admin)
    await catalog.update_service(
        shop.admin,
        shop.web,
        catalog.ServiceInput(
            **{
                **{f: getattr(data, f) for f in catalog.ServiceInput.__struct_fields__},
                "env": {"API_KEY": "catalog-only-value"},
            }
        ),
    )
    graph = {"nodes": [{"id": "web", "kind": "service", "config": {"service_id": shop.web}}]}
    await pipelines.save_pipeline(shop.admin, shop.project.id, graph)
    system = Actor.system("tests")
    reader = await accounts.create_user(system, username="qa", password="qa-password-1")
    stranger = await accounts.create_user(system, username="zed", password="zed-password-1")
    team = await teams.create_team(system, "qa", "")
    await teams.add_member(system, team.id, reader.id)
    await teams.grant(system, team.id, "project", shop.project.id, "read")
    url = f"/api/v1/projects/{shop.project.id}/compose/export"
    async with await api_client(web_app, admin) as api:
        as_admin = await api.get(url, params={"version": 1})
        assert as_admin.status_code == 200
        assert "API_KEY: catalog-only-value" in as_admin.text
    async with await api_client(web_app, reader) as api:
        as_reader = await api.get(url)
        assert as_reader.status_code == 200
        assert "catalog-only-value" not in as_reader.text
        assert "API_KEY: ${API_KEY}" in as_reader.text
        assert (
            as_reader.headers["content-disposition"] == 'attachment; filename="shop-v1.compose.yml"'
        )
        assert (await api.get(url, params={"version": 7})).status_code == 404
    async with await api_client(web_app, stranger) as api:
        assert (await api.get(url)).status_code == 404
