"""Checkpoints of a deployment's databases (core.services.checkpoints, docs/data.md), so a test
suite can save its starting point once and reset to it between runs. Reading needs read access;
saving, resetting and deleting need full access (403 with read access, 404 without). A
deployment not running, a name already taken or a failed action answer 409."""

from __future__ import annotations

from litestar import Router, delete, get, post

from core.actor import Actor
from core.services import checkpoints
from core.services.checkpoints import CheckpointInput, CheckpointView, DataActionView, DatabaseView
from web.guards import requires_login
from web.params import IdParam, TextParam


@get("/{deployment_id:int}/databases")
async def list_databases(actor: Actor, deployment_id: IdParam) -> list[DatabaseView]:
    """The databases the pipeline created whose plugin offers checkpoints, each with its
    checkpoints (name, who, when, bytes)."""
    return await checkpoints.databases(actor, deployment_id)


@post("/{deployment_id:int}/databases/{step:str}/checkpoints", status_code=201)
async def save_checkpoint(
    actor: Actor, deployment_id: IdParam, step: TextParam, data: CheckpointInput
) -> CheckpointView:
    """Saves the database of plugin step `step` as checkpoint `name`; the services using it are
    stopped meanwhile and started again. Answers when the copy is made."""
    return await checkpoints.save(actor, deployment_id, step, data)


@post("/{deployment_id:int}/checkpoints/{checkpoint_id:int}/reset", status_code=200)
async def reset_to_checkpoint(
    actor: Actor, deployment_id: IdParam, checkpoint_id: IdParam
) -> DataActionView:
    """Replaces the database by a fresh copy of the checkpoint (the checkpoint stays, for the
    next reset); clients still connected are terminated and named in `log`."""
    return await checkpoints.reset(actor, deployment_id, checkpoint_id)


@delete("/{deployment_id:int}/checkpoints/{checkpoint_id:int}", status_code=204)
async def delete_checkpoint(actor: Actor, deployment_id: IdParam, checkpoint_id: IdParam) -> None:
    """Drops the checkpoint's copy and forgets it."""
    await checkpoints.delete(actor, deployment_id, checkpoint_id)


router = Router(
    path="/deployments",
    route_handlers=[list_databases, save_checkpoint, reset_to_checkpoint, delete_checkpoint],
    guards=[requires_login],
    tags=["deployments"],
)
