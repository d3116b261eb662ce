"""A deployment to notify about: an admin, an environment, a project with a secret and a
two-service pipeline, one deployment row in `deploying` with an open run, a real SAQ queue on
the test database, and a worker started on demand (`start_worker`)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from core import crypto, runtime
from core.actor import Actor
from core.jobs import make_queue, make_worker
from core.services import accounts, secrets
from core.settings import Settings
from core.tables import Deployment, Environment, PipelineRun, PipelineVersion, Project
from shoaltest.db import insert_row

SECRET_VALUE = "hunter2-very-secret"


@dataclass
class Scene:
    admin: Actor
    env_id: int
    project_id: int
    deployment_id: int
    queue: Any


@pytest.fixture
async def scene(db: str, database: str) -> AsyncIterator[Scene]:
    runtime.install(box=crypto.SecretBox(crypto.generate_key()))
    runtime.install(settings=Settings(public_url="http://shoal.test:8000"))
    queue = make_queue(database, 4)
    await queue.connect()
    runtime.install(queue=queue)
    admin_view = await accounts.create_user(
        Actor.system("tests"), username="admin", password="admin-password-1", is_admin=True
    )
    admin = Actor(admin_view.id, "admin", True)
    env = await insert_row(Environment(name="qa", base_domain="qa.test"))
    project = await insert_row(Project(name="shop", cpu=1.0, memory_mb=256))
    await secrets.set_secret(admin, project, "DB_PASSWORD", SECRET_VALUE)
    graph = {
        "nodes": [{"id": "web", "kind": "service", "config": {"port": 80}}],
        "edges": [],
        "layout": {},
    }
    version = await insert_row(PipelineVersion(project=project, version=1, graph=graph))
    deployment = await insert_row(
        Deployment(
            project=project,
            environment=env,
            pipeline_version=version,
            name="pr-7",
            status="deploying",
            created_by=admin.id,
        )
    )
    await insert_row(PipelineRun(deployment=deployment, action="deploy", status="running"))
    yield Scene(admin, env, project, deployment, queue)
    await queue.disconnect()


@pytest.fixture
async def start_worker(scene: Scene) -> AsyncIterator[Callable[[], Any]]:
    """Starts a real SAQ worker on the scene's queue; each is stopped at the end."""
    running: list[tuple[Any, asyncio.Task]] = []

    def start() -> Any:
        worker = make_worker(scene.queue, 4, handle_signals=False)
        running.append((worker, asyncio.create_task(worker.start())))
        return worker

    yield start
    for worker, task in running:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(worker.stop(), timeout=10)
        task.cancel()
        with contextlib.suppress(BaseException):
            await task
