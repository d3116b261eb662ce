"""Three stacks of the compose corpus imported and deployed end to end: control-plane services,
SAQ worker, hub, a real agent on dockerd, a local docker-registry and Caddy.

The corpus files name public images (ghcr.io/acme/shop-web, postgres:16, …); the import form's
registry answer points each at the local registry, where busybox images built offline stand in
for them under the same paths and tags. Each stand-in serves its role's name over HTTP on the
port the stack uses and writes the environment it got to /env.txt, so the test reads through
Caddy what the deployment really received (secrets resolved).
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

import docker
import httpx
import pytest

from core import ingress, runtime
from core.domain.compose.plan import Choices, ServiceChoice
from core.jobs import make_worker
from core.services import compose_import, projects, registries
from core.services import deployment_actions as actions
from core.services.deployments import DeploymentInput, create_deployment, get_deployment
from shoaltest.agent import labelled
from shoaltest.hub import add_node_with_agent, until, wait_status

pytestmark = pytest.mark.docker
CORPUS = Path(__file__).resolve().parents[2] / "data" / "compose"
SERVE = """#!/bin/sh
# serve PORT: the role's page on PORT, and the environment this container got in /env.txt
env > /www/env.txt
exec httpd -f -p "$1" -h /www
"""
# repository:tag as the corpus names them → (role, the image's CMD)
STAND_INS = {
    "acme/shop-web:1.4.2": ("shop-web", '["serve", "8000"]'),
    "postgres:16": ("postgres", '["serve", "5432"]'),
    "team/app:2.1.0": ("team-app", '["serve", "8000"]'),
    "redis:7-alpine": ("redis", '["serve", "6379"]'),
    "acme/frontend:3.2.1": ("frontend", '["serve", "80"]'),
    "acme/api:3.2.1": ("api", '["serve", "8080"]'),
    "postgres:16-alpine": ("postgres", '["serve", "5432"]'),
}
STACKS = {
    "01-web-postgres.yml": {"web": "shop-web", "db": "postgres"},
    "02-web-redis-worker.yml": {"web": "team-app", "redis": "redis"},
    "04-three-tier-healthchecks.yml": {"frontend": "frontend", "api": "api", "db": "postgres"},
}


def build_stand_in(client: docker.DockerClient, base: str, role: str, cmd: str) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "serve").write_text(SERVE)
        # The corpus runs `gunicorn …`, `celery …` and `./api …`: each becomes a stand-in too.
        Path(tmp, "gunicorn").write_text("#!/bin/sh\nexec serve 8000\n")
        Path(tmp, "celery").write_text("#!/bin/sh\nenv > /tmp/env.txt\nexec sleep 100000\n")
        Path(tmp, "api").write_text("#!/bin/sh\nexec serve 8080\n")
        Path(tmp, "Dockerfile").write_text(
            f"FROM {base}\n"
            f"RUN mkdir -p /www /app && echo '{role} answers' > /www/index.html"
            " && echo ok > /www/healthz\n"
            "COPY serve gunicorn celery /bin/\nCOPY api /app/api\n"
            "RUN chmod +x /bin/serve /bin/gunicorn /bin/celery /app/api\n"
            f"WORKDIR /app\nCMD {cmd}\n"
        )
        name = f"shoal-test/compose-{role}:latest"
        client.images.build(path=tmp, tag=name, rm=True)
    return name


@pytest.fixture(scope="module")
def stand_ins(registry, docker_client, busybox_image):
    for reference, (role, cmd) in STAND_INS.items():
        repository, _, tag = reference.rpartition(":")
        registry.push(build_stand_in(docker_client, busybox_image, role, cmd), repository, tag)
    return registry


@pytest.fixture
async def running(hub, hub_env, agent_factory, stand_ins, caddy, queue):
    admin, env_id = hub_env
    node, agent = await add_node_with_agent(agent_factory, admin, env_id)
    await wait_status(node.id, "online")
    settings = caddy.settings()
    runtime.install(settings=settings)
    await ingress.start(settings)
    worker = make_worker(queue, 4, handle_signals=False)
    worker_task = asyncio.create_task(worker.start())
    local = await registries.create_registry(
        admin,
        registries.RegistryInput(
            name="local",
            url=stand_ins.url,
            username=stand_ins.username,
            password=stand_ins.password,
        ),
    )
    yield admin, env_id, agent, local, caddy
    await worker.stop()
    worker_task.cancel()
    await ingress.stop()


async def through_caddy(caddy, url: str, path: str = "/") -> httpx.Response | None:
    host = url.split("//")[1].split(":")[0].split("/")[0]
    async with httpx.AsyncClient() as client:
        answer = await client.get(caddy.ingress_url + path, headers={"Host": host}, timeout=5)
    return answer if answer.status_code == 200 else None


@pytest.mark.parametrize("name", list(STACKS))
async def test_a_corpus_stack_deploys_and_answers(running, name):
    admin, env_id, agent, local, caddy = running
    text = (CORPUS / name).read_text()
    project = await projects.create_project(
        admin, projects.ProjectInput(name="stack", cpu=2.0, memory_mb=2048)
    )
    plan = (await compose_import.preview(admin, project.id, text, Choices())).plan
    choices = Choices(
        services={n.compose_name: ServiceChoice(registry_id=local.id) for n in plan.nodes},
    )
    await compose_import.import_compose(admin, project.id, text, choices)
    dep = await create_deployment(
        admin, DeploymentInput(project_id=project.id, environment_id=env_id, name="qa-1")
    )

    async def settled():
        found = await get_deployment(admin, dep.id)
        return found if found.status in ("running", "failed") else None

    found = await until(settled, 180, every=0.5)
    assert found.status == "running", found.error
    if name == "01-web-postgres.yml":  # its named volume is the deployment's own
        client = docker.from_env()
        db = client.containers.get(f"shoal-{agent.agent_id}-{dep.id}-db")
        assert [(m["Name"], m["Destination"]) for m in db.attrs["Mounts"]] == [
            (f"shoal-{agent.agent_id}-{dep.id}-pgdata", "/var/lib/postgresql/data")
        ]
        client.close()
    for node_id, role in STACKS[name].items():
        page = await until(lambda n=node_id: through_caddy(caddy, found.urls[n]), 30, every=0.3)
        assert page.text.strip() == f"{role} answers"
    env = await until(
        lambda: through_caddy(
            caddy, found.urls["web" if "web" in found.urls else "api"], "/env.txt"
        ),
        10,
    )
    received = dict(line.split("=", 1) for line in env.text.splitlines() if "=" in line)
    secrets_of = {
        "01-web-postgres.yml": ("DATABASE_URL", "postgres://shop:devpass@db:5432/shop"),
        "02-web-redis-worker.yml": ("SECRET_KEY", "change-me"),
        "04-three-tier-healthchecks.yml": ("JWT_SECRET", "not-for-production"),
    }
    key, value = secrets_of[name]
    assert received[key] == value  # a project secret, resolved on the agent

    await actions.delete(admin, dep.id)

    async def deleted():
        return (await get_deployment(admin, dep.id)).status == "deleted"

    await until(deleted, 60, every=0.5)
    assert labelled(agent.agent_id) == ([], [])
    client = docker.from_env()
    assert client.volumes.list(filters={"label": f"shoal.node={agent.agent_id}"}) == []
    client.close()
