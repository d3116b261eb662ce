"""deploy, delete (= cancel), sync and state: each answers with the deployments' states."""

from __future__ import annotations

from typing import TYPE_CHECKING

from agent.protocol import Delete, Deploy, DeploymentsReply, GetState, Sync

if TYPE_CHECKING:
    from agent.events import Session
    from agent.handlers.context import HandlerContext


async def deploy(ctx: HandlerContext, session: Session, request: Deploy) -> DeploymentsReply:
    state = ctx.deployments.deploy(request.spec)
    return DeploymentsReply(id=request.id, deployments=[state])


async def delete(ctx: HandlerContext, session: Session, request: Delete) -> DeploymentsReply:
    state = ctx.deployments.delete(request.deployment_id, request.secrets, request.outputs)
    return DeploymentsReply(id=request.id, deployments=[state])


async def sync(ctx: HandlerContext, session: Session, request: Sync) -> DeploymentsReply:
    ctx.plugin_images.update(request.plugins)
    ctx.deployments.sync(request.deployments, request.keep)
    ctx.reconcile_soon()
    return DeploymentsReply(id=request.id, deployments=ctx.deployments.states())


async def get_state(ctx: HandlerContext, session: Session, request: GetState) -> DeploymentsReply:
    return DeploymentsReply(id=request.id, deployments=ctx.deployments.states())
