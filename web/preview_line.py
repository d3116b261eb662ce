"""The deployment page's "preview of PR #42 · branch · author · commit" line, with links to the
pull request and to its head commit on the forge (when the forge has such a page)."""

from __future__ import annotations

from typing import Any

from core.services import previews
from core.tables.previews import PreviewRule

# Where a pull request's commit is shown, after the pull request's own URL.
COMMIT_PATHS = {
    "github": "/commits/{sha}",
    "gitea": "/commits/{sha}",
    "gitlab": "/diffs?commit_id={sha}",
}


async def preview_line(deployment_id: int) -> dict[str, Any] | None:
    preview = await previews.preview_of_deployment(deployment_id)
    if preview is None:
        return None
    rule = (
        await PreviewRule.select(PreviewRule.forge)
        .where(PreviewRule.id == preview.rule_id)
        .first()
        .run()
    )
    path = COMMIT_PATHS.get(rule["forge"] if rule else "", "")
    url = preview.url if preview.url.startswith(("https://", "http://")) else ""
    return {
        "number": preview.number,
        "url": url,
        "branch": preview.branch,
        "author": preview.author,
        "sha7": preview.head_sha[:7],
        "commit_url": url + path.format(sha=preview.head_sha)
        if url and path and preview.head_sha
        else "",
        "approval": preview.approval,
    }
