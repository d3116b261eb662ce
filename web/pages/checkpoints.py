"""The Data section of a deployment's page: Save checkpoint, Reset to checkpoint and Delete for
each database the pipeline created (full access; core.services.checkpoints). A refused or
failed action comes back to the page with the reason, the name typed kept."""

from __future__ import annotations

from urllib.parse import quote

from litestar import Request, Router, post
from litestar.response import Redirect

from core.actor import Actor
from core.errors import AgentUnavailable, Conflict, InvalidInput
from core.services import checkpoints
from core.services.checkpoints import CheckpointInput
from web.guards import requires_login
from web.params import IdParam, TextParam
from web.rendering import form_data, redirect

# Shown on the page; no access (404) and read access (403) answer as every page does.
REFUSALS = (Conflict, InvalidInput, AgentUnavailable)


@post("/{deployment_id:int}/databases/{step:str}/checkpoints")
async def save(request: Request, actor: Actor, deployment_id: IdParam, step: TextParam) -> Redirect:
    name = (await form_data(request)).get("name", "")
    back = f"/deployments/{deployment_id}"
    try:
        saved = await checkpoints.save(actor, deployment_id, step, CheckpointInput(name=name))
    except REFUSALS as exc:
        kept = f"{back}?checkpoint_step={quote(step)}&checkpoint_name={quote(name)}#data"
        return redirect(kept, exc.detail, level="error")
    return redirect(f"{back}#data", f"Checkpoint '{saved.name}' of {step} saved.")


@post("/{deployment_id:int}/checkpoints/{checkpoint_id:int}/reset")
async def reset(actor: Actor, deployment_id: IdParam, checkpoint_id: IdParam) -> Redirect:
    back = f"/deployments/{deployment_id}#data"
    try:
        done = await checkpoints.reset(actor, deployment_id, checkpoint_id)
    except REFUSALS as exc:
        return redirect(back, exc.detail, level="error")
    restarted = f"; {', '.join(done.stopped)} restarted" if done.stopped else ""
    message = f"{done.step} reset to '{done.checkpoint}' in {done.duration_s:.1f} s{restarted}."
    return redirect(back, message)


@post("/{deployment_id:int}/checkpoints/{checkpoint_id:int}/delete")
async def delete(actor: Actor, deployment_id: IdParam, checkpoint_id: IdParam) -> Redirect:
    back = f"/deployments/{deployment_id}#data"
    try:
        await checkpoints.delete(actor, deployment_id, checkpoint_id)
    except REFUSALS as exc:
        return redirect(back, exc.detail, level="error")
    return redirect(back, "Checkpoint deleted.")


router = Router(
    path="/deployments",
    route_handlers=[save, reset, delete],
    guards=[requires_login],
    include_in_schema=False,
)
