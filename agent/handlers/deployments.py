"""deploy, delete (= cancel), sync and state: each answers with the deployments' states."""

from __future__ import annotations

from typing import TYPE_CHECKING

from agent.protocol import Delete, Deploy, DeploymentsReply, GetState, Sync

if TYPE_CHECKING:
    from agent.app import App
    from agent.events import Session


async def deploy(app: App, session: Session, request: Deploy) -> DeploymentsReply:
    state = app.deployments.deploy(request.spec)
    return DeploymentsReply(id=request.id, deployments=[state])


async def delete(app: App, session: Session, request: Delete) -> DeploymentsReply:
    if request.secrets:
        app.deployments.secrets[request.deployment_id] = dict(request.secrets)
    app.deployments.runs.adopt(request.deployment_id, request.outputs)
    state = app.deployments.delete(request.deployment_id)
    return DeploymentsReply(id=request.id, deployments=[state])


async def sync(app: App, session: Session, request: Sync) -> DeploymentsReply:
    app.plugin_images.update(request.plugins)
    app.deployments.sync(request.deployments, request.keep)
    app.reconcile_soon()
    return DeploymentsReply(id=request.id, deployments=app.deployments.states())


async def get_state(app: App, session: Session, request: GetState) -> DeploymentsReply:
    return DeploymentsReply(id=request.id, deployments=app.deployments.states())
