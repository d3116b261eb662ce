"""Previews: a pull request (or a pushed tag) becomes a deployment, follows every push, and goes
away when closed. Contract for callers: /work/notes/previews_contract.md and docs/previews.md.

Two steps, so that two pushes within a second never make two deployments and the second wins:
`apply`/`close`/`approve`/`reject` record what is wanted on the preview row (one UPSERT that
bumps `generation`) and enqueue `reconcile_preview`; `reconcile` (the job) makes the deployment
match the latest generation under a per-preview lock, and does nothing for a generation that is
already applied. A new push replaces the deployment under the same name, so URLs stay stable.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import msgspec

from core import runtime
from core.actor import Actor
from core.domain import previews as rules
from core.domain import status
from core.domain.access import Level
from core.errors import Conflict, InvalidInput, NotFound, ShoalError
from core.services import access, preview_deployments, preview_images
from core.services.audit import Target, audited
from core.services.preview_locks import preview_lock
from core.services.preview_rules import rule_row
from core.tables.previews import Preview

log = logging.getLogger("shoal.previews")
PreviewRef = rules.PreviewRef

_UPSERT = """
INSERT INTO previews (rule, number, title, url, branch, author, head_sha, source_repository,
                      is_fork, state, approval, approved_by, tags, error, generation,
                      applied_generation, comment_id, report_error, created_at, updated_at)
VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, 'open', {}, '', {}::jsonb, {}, 1, 0, '', '',
        now(), now())
ON CONFLICT (rule, number) DO UPDATE SET
    title = EXCLUDED.title, url = EXCLUDED.url, branch = EXCLUDED.branch,
    author = EXCLUDED.author, head_sha = EXCLUDED.head_sha,
    source_repository = EXCLUDED.source_repository, is_fork = EXCLUDED.is_fork,
    state = 'open', tags = EXCLUDED.tags, error = EXCLUDED.error,
    approval = CASE WHEN EXCLUDED.approval = 'pending' AND previews.approval = 'approved'
                         AND previews.head_sha = EXCLUDED.head_sha THEN 'approved'
                    ELSE EXCLUDED.approval END,
    generation = previews.generation + 1, updated_at = now()
RETURNING id
"""


class PreviewView(msgspec.Struct, kw_only=True):
    id: int
    rule_id: int
    number: int
    title: str
    url: str
    branch: str
    author: str
    head_sha: str
    is_fork: bool
    state: str
    approval: str
    approved_by: str
    tags: dict[str, str]
    deployment_id: int | None
    error: str
    report_error: str
    updated_at: datetime


def view_of(row: dict[str, Any]) -> PreviewView:
    return PreviewView(
        id=row["id"],
        rule_id=row["rule"],
        number=row["number"],
        title=row["title"],
        url=row["url"],
        branch=row["branch"],
        author=row["author"],
        head_sha=row["head_sha"],
        is_fork=row["is_fork"],
        state=row["state"],
        approval=row["approval"],
        approved_by=row["approved_by"],
        tags=row["tags"] or {},
        deployment_id=row["deployment"],
        error=row["error"],
        report_error=row["report_error"],
        updated_at=row["updated_at"],
    )


async def preview_row(preview_id: int) -> dict[str, Any]:
    row = (
        await Preview.select().where(Preview.id == preview_id).output(load_json=True).first().run()
    )
    if row is None:
        raise NotFound("No such preview.")
    return row


async def _enqueue(preview_id: int) -> None:
    await runtime.queue().enqueue("reconcile_preview", preview_id=preview_id, timeout=0, retries=2)


async def apply(rule_id: int, ref: PreviewRef) -> PreviewView:
    """A pull request opened, reopened or pushed to (or a matching tag pushed): record it and
    have its deployment made or replaced. A template that renders a bad tag is kept as the
    preview's error (shown on the page and the pull request), not raised."""
    rule = await rule_row(rule_id)
    error, tags = "", {}
    try:
        rules.render_name(rule["name_template"], ref)
        tags = rules.render_tags(rule["tag_templates"] or {}, rule["default_tags"] or {}, ref)
    except InvalidInput as exc:
        error = exc.detail
    held = rules.needs_approval(ref, rule["allowed_authors"] or [], rule["allow_forks"])
    approval = rules.APPROVAL_PENDING if held else rules.APPROVAL_NOT_NEEDED
    rows = await Preview.raw(
        _UPSERT,
        rule_id,
        ref.number,
        ref.title[:255],
        ref.url[:1024],
        ref.branch[:255],
        ref.author[:255],
        ref.head_sha[:64],
        ref.source_repository[:255],
        ref.is_fork,
        approval,
        msgspec.json.encode(tags).decode(),
        error,
    ).run()
    preview_id = rows[0]["id"]
    await _enqueue(preview_id)
    return view_of(await preview_row(preview_id))


async def close(rule_id: int, number: int) -> PreviewView | None:
    """Closed or merged: its deployment is deleted (cancelled if still deploying). None when
    the rule never made a preview of that pull request."""
    rows = await Preview.raw(
        "UPDATE previews SET state = 'closed', generation = generation + 1, updated_at = now()"
        " WHERE rule = {} AND number = {} RETURNING id",
        rule_id,
        number,
    ).run()
    if not rows:
        return None
    await _enqueue(rows[0]["id"])
    return view_of(await preview_row(rows[0]["id"]))


async def _decide(actor: Actor, preview_id: int, verdict: str) -> PreviewView:
    action = "preview.approve" if verdict == rules.APPROVED else "preview.reject"
    async with audited(actor, action, Target("preview", preview_id)) as audit:
        row = await preview_row(preview_id)
        rule = await rule_row(row["rule"])
        audit.target = Target(
            "preview",
            preview_id,
            f"PR #{row['number']}",
            project_id=rule["project"],
            environment_id=rule["environment"],
        )
        await access.require_deployment_level(
            actor, rule["project"], rule["environment"], Level.FULL
        )
        if row["approval"] != rules.APPROVAL_PENDING or row["state"] != "open":
            raise Conflict("This preview is not waiting for approval.")
        audit.detail = f"{row['author']} @ {row['head_sha'][:7]}"
        await (
            Preview.update(
                {
                    Preview.approval: verdict,
                    Preview.approved_by: actor.username[:64],
                    Preview.generation: Preview.generation + 1,
                }
            )
            .where((Preview.id == preview_id) & (Preview.approval == rules.APPROVAL_PENDING))
            .run()
        )
    await _enqueue(preview_id)
    return view_of(await preview_row(preview_id))


async def approve(actor: Actor, preview_id: int) -> PreviewView:
    """A person with full access lets an outsider's pull request deploy (this commit only: a
    new push waits for approval again)."""
    return await _decide(actor, preview_id, rules.APPROVED)


async def reject(actor: Actor, preview_id: int) -> PreviewView:
    return await _decide(actor, preview_id, rules.REJECTED)


async def reconcile(preview_id: int) -> str:
    """Make the preview's deployment match its latest generation (the job's body); returns
    what was done, for the job's result and the tests."""
    async with preview_lock(preview_id):
        row = await preview_row(preview_id)
        if row["applied_generation"] >= row["generation"]:
            return "up to date"
        outcome = await _converge(row)
        if outcome != preview_images.NOT_YET:  # else the image check brings it back (17b)
            await (
                Preview.update({Preview.applied_generation: row["generation"]})
                .where(Preview.id == preview_id)
                .run()
            )
    await runtime.queue().enqueue("report_preview", preview_id=preview_id, timeout=0, retries=5)
    return outcome


async def _converge(row: dict[str, Any]) -> str:
    current = row["deployment"]
    state = await preview_deployments.status_of(current)
    live = state not in (None, status.DELETED)
    if row["state"] == "closed" or row["approval"] == rules.REJECTED:
        if live:
            await preview_deployments.remove(current, "pull request closed")
        return "deleted" if live else "nothing to delete"
    if row["error"]:
        return "refused: " + row["error"]
    rule = await rule_row(row["rule"])
    ref = PreviewRef(number=row["number"], branch=row["branch"], head_sha=row["head_sha"])
    name, tags = rules.render_name(rule["name_template"], ref), row["tags"] or {}
    held = status.AWAITING_APPROVAL if row["approval"] == rules.APPROVAL_PENDING else None
    try:
        # CI may still be building: wait for the tags (17b, core/services/preview_images.py).
        if held is None and await preview_images.missing(tags, project_id=rule["project"]):
            held = status.WAITING_FOR_IMAGE
        if live and state == held:
            await preview_deployments.retag_held(current, tags)
            return "held, tags updated"
        if live and state in preview_images.KEEP and held == status.WAITING_FOR_IMAGE:
            return await preview_images.keep_running(row, tags, rule["project"])
        if live and state == status.AWAITING_APPROVAL and held == status.WAITING_FOR_IMAGE:
            await preview_deployments.retag_held(current, tags)
            await preview_images.wait(current)
            return "approved, waiting for image"
        if live and state in preview_deployments.HELD and held is None:
            await preview_deployments.retag_held(current, tags)
            await preview_deployments.release(current)
            return "released"
        if live:
            # Unlinked first: the old one's "deleted" is a replacement, not news for the PR.
            await Preview.update({Preview.deployment: None}).where(Preview.id == row["id"]).run()
            await preview_deployments.remove_and_wait(current, "replaced by a new push")
        args = (rule["project"], rule["environment"], name, tags, rule["ttl_hours"])
        if held:
            new_id = await preview_deployments.create_held(*args, held)
        else:
            new_id = await preview_deployments.create(*args)
    except ShoalError as exc:
        await Preview.update({Preview.error: exc.detail}).where(Preview.id == row["id"]).run()
        return "failed: " + exc.detail
    await (
        Preview.update({Preview.deployment: new_id, Preview.error: ""})
        .where(Preview.id == row["id"])
        .run()
    )
    return "replaced" if live else ("held" if held else "created")


async def previews_of_project(project_id: int, limit: int = 50) -> list[PreviewView]:
    rows = await Preview.raw(
        "SELECT p.* FROM previews p JOIN preview_rules r ON r.id = p.rule"
        " WHERE r.project = {} ORDER BY p.updated_at DESC LIMIT {}",
        project_id,
        limit,
    ).run()
    return [
        view_of(
            {
                **row,
                "tags": msgspec.json.decode(row["tags"])
                if isinstance(row["tags"], str)
                else row["tags"],
            }
        )
        for row in rows
    ]


async def preview_of_deployment(deployment_id: int) -> PreviewView | None:
    row = (
        await Preview.select()
        .where(Preview.deployment == deployment_id)
        .output(load_json=True)
        .first()
        .run()
    )
    return view_of(row) if row else None
