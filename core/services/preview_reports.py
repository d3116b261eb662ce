"""Reporting a preview back to its pull request: what the comment says and which commit status
it sets, from the preview and its deployment. Runs in the `report_preview` job (retried); a
failure is kept on the preview (`report_error`, shown on the Previews tab) and never touches
the deployment.

Triggered (a) by the preview job after it made, replaced or removed a deployment and (b) by
every lifecycle move that notifies (running, failed, deleted) of a deployment a preview owns
(core.services.preview_moves, called by the lifecycle).
"""

from __future__ import annotations

import logging
from typing import Any

from core import runtime
from core.actor import Actor
from core.domain import status
from core.errors import NotFound
from core.forges import reporting
from core.services.preview_locks import REPORT_LOCK, preview_lock
from core.tables.previews import Preview, PreviewRule

log = logging.getLogger("shoal.previews")
MARK = "<!-- shoal-preview -->"
HEADLINE = {
    status.AWAITING_APPROVAL: "⏸ waiting for approval in Shoal",
    status.WAITING_FOR_IMAGE: "⏳ waiting for the image",
    status.PENDING: "⏳ deploying",
    status.DEPLOYING: "⏳ deploying",
    status.RUNNING: "✅ running",
    status.FAILED: "❌ failed",
    status.DELETING: "🗑 being removed",
    status.DELETED: "🗑 removed",
}
COMMIT_STATE = {status.RUNNING: "success", status.FAILED: "failure"}


def deployment_page(deployment_id: int) -> str:
    return f"{runtime.settings().effective_public_url}/deployments/{deployment_id}"


async def _deployment(deployment_id: int | None) -> Any:
    from core.services.deployments import get_deployment

    if deployment_id is None:
        return None
    try:
        return await get_deployment(Actor.system("previews"), deployment_id)
    except NotFound:
        return None


def compose(preview: dict[str, Any], dep: Any) -> tuple[str, str, str]:
    """(comment body, commit state, one-line description) for the preview as it is now."""
    if preview["error"]:
        state_name, headline = status.FAILED, "❌ not deployed"
    elif preview["state"] == "closed" or dep is None:
        state_name = status.DELETED if preview["state"] == "closed" else status.PENDING
        headline = HEADLINE[state_name]
    else:
        state_name, headline = dep.status, HEADLINE.get(dep.status, dep.status)
    lines = [MARK, f"### Shoal preview · {headline}", ""]
    if dep is not None:
        lines.append(f"Deployment **{dep.name}** in `{dep.environment_name}`")
        if dep.urls and state_name not in (status.DELETED, status.DELETING):
            lines += ["", "| service | URL |", "| --- | --- |"]
            lines += [f"| {node} | {url} |" for node, url in sorted(dep.urls.items())]
        if dep.expires_at and state_name not in (status.DELETED,):
            lines += ["", f"Expires {dep.expires_at:%Y-%m-%d %H:%M} UTC."]
    error = preview["error"] or (
        dep.error if dep is not None and state_name == status.FAILED else ""
    )
    if error:
        lines += ["", f"Error: {error[:500]}"]
    commit = preview["head_sha"][:7]
    link = f"[deployment page]({deployment_page(dep.id)})" if dep is not None else ""
    lines += ["", " · ".join(p for p in (f"commit `{commit}`" if commit else "", link) if p)]
    commit_state = "failure" if preview["error"] else COMMIT_STATE.get(state_name, "pending")
    return "\n".join(lines).strip() + "\n", commit_state, headline.split(" ", 1)[-1]


async def report(preview_id: int, transport: Any = None) -> str:
    """Send the comment and status; returns what was done. Raises on a forge failure (after
    recording it), so the job retries. One report of a preview at a time: the first one's
    comment id is stored before the next one reads it."""
    async with preview_lock(preview_id, REPORT_LOCK):
        return await _report(preview_id, transport)


async def _report(preview_id: int, transport: Any) -> str:
    preview = await Preview.select().where(Preview.id == preview_id).first().run()
    if preview is None:
        return "gone"
    rule = await PreviewRule.select().where(PreviewRule.id == preview["rule"]).first().run()
    if rule is None or rule["forge"] not in reporting.DEFAULT_BASE:
        return "no forge"
    from core.services.preview_rules import api_token

    token = api_token(rule)
    if not token:
        return "no token"
    dep = await _deployment(preview["deployment"])
    body, commit_state, description = compose(preview, dep)
    closed = preview["state"] == "closed"
    sent = reporting.Report(
        forge=rule["forge"],
        base_url=rule["api_base_url"],
        token=token,
        repository=rule["repository"],
        number=preview["number"],
        head_sha="" if closed else preview["head_sha"],  # a closed PR's status stays as it was
        body=body,
        state=commit_state,
        description=f"Preview {description}",
        target_url=deployment_page(dep.id)
        if dep is not None
        else runtime.settings().effective_public_url,
    )
    try:
        comment_id = await reporting.send(sent, preview["comment_id"], transport)
    except reporting.ForgeError as exc:
        await (
            Preview.update({Preview.report_error: str(exc)[:500]})
            .where(Preview.id == preview_id)
            .run()
        )
        raise
    await (
        Preview.update({Preview.comment_id: comment_id, Preview.report_error: ""})
        .where(Preview.id == preview_id)
        .run()
    )
    return f"{commit_state}, comment {comment_id}"
