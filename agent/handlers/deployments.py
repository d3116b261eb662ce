"""deploy, delete (= cancel), sleep, wake, sync and state: each answers with the deployments'
states (sleep and wake at once, their work reported by `deployment_status` events); a data
action answers when its plugin run ended (data_actions.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from agent.protocol import (
    DataAction,
    DataResult,
    Delete,
    Deploy,
    DeploymentsReply,
    ErrorReply,
    GetState,
    Sleep,
    Sync,
    Wake,
)

if TYPE_CHECKING:
    from agent.events import Session
    from agent.handlers.context import HandlerContext


async def deploy(ctx: HandlerContext, session: Session, request: Deploy) -> DeploymentsReply:
    state = ctx.deployments.deploy(request.spec)
    return DeploymentsReply(id=request.id, deployments=[state])


async def delete(ctx: HandlerContext, session: Session, request: Delete) -> DeploymentsReply:
    state = ctx.deployments.delete(request.deployment_id, request.secrets, request.outputs)
    return DeploymentsReply(id=request.id, deployments=[state])


async def sleep(ctx: HandlerContext, session: Session, request: Sleep) -> DeploymentsReply:
    return DeploymentsReply(
        id=request.id, deployments=[ctx.deployments.sleep(request.deployment_id)]
    )


async def wake(ctx: HandlerContext, session: Session, request: Wake) -> DeploymentsReply:
    return DeploymentsReply(
        id=request.id, deployments=[ctx.deployments.wake(request.deployment_id)]
    )


async def sync(ctx: HandlerContext, session: Session, request: Sync) -> DeploymentsReply:
    ctx.plugin_images.update(request.plugins)
    ctx.deployments.sync(request.deployments, request.keep)
    ctx.reconcile_soon()
    return DeploymentsReply(id=request.id, deployments=ctx.deployments.states())


async def get_state(ctx: HandlerContext, session: Session, request: GetState) -> DeploymentsReply:
    return DeploymentsReply(id=request.id, deployments=ctx.deployments.states())


async def data_action(
    ctx: HandlerContext, session: Session, request: DataAction
) -> DataResult | ErrorReply:
    return await ctx.deployments.data_action(request)
