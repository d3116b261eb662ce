"""Report a preview back to its forge: one comment per pull request, edited in place (the
caller stores the id this returns), and a commit status on the head commit.

Each forge's API differs only in paths, verbs, auth header and state names, so one table holds
them. `base_url` "" means the public service; set it for GitHub Enterprise or a self-hosted
GitLab/Gitea. Errors are ForgeError with the forge's status, never the token.
"""

from __future__ import annotations

from urllib.parse import quote

import httpx
import msgspec

TIMEOUT_S = 10.0
CONTEXT = "shoal/preview"
DEFAULT_BASE = {
    "github": "https://api.github.com",
    "gitlab": "https://gitlab.com/api/v4",
    "gitea": "https://gitea.com/api/v1",
}
# Shoal's state → the forge's commit status state.
STATES = {
    "github": {"pending": "pending", "success": "success", "failure": "failure"},
    "gitlab": {"pending": "running", "success": "success", "failure": "failed"},
    "gitea": {"pending": "pending", "success": "success", "failure": "failure"},
}


class ForgeError(Exception):
    pass


class Report(msgspec.Struct, kw_only=True):
    forge: str
    base_url: str
    token: str
    repository: str  # owner/name (GitLab: the project's full path)
    number: int
    head_sha: str
    body: str  # the comment, Markdown
    state: str  # pending | success | failure
    description: str
    target_url: str  # the deployment's page in Shoal


def _headers(forge: str, token: str) -> dict[str, str]:
    if forge == "gitlab":
        return {"PRIVATE-TOKEN": token}
    if forge == "gitea":
        return {"Authorization": f"token {token}"}
    return {"Authorization": f"Bearer {token}", "Accept": "application/vnd.github+json"}


def _paths(report: Report) -> tuple[str, str, str]:
    """(create comment, edit comment with {id}, commit status)."""
    if report.forge == "gitlab":
        project = f"projects/{quote(report.repository, safe='')}"
        notes = f"{project}/merge_requests/{report.number}/notes"
        return notes, notes + "/{id}", f"{project}/statuses/{report.head_sha}"
    repo = f"repos/{report.repository}"
    return (
        f"{repo}/issues/{report.number}/comments",
        f"{repo}/issues/comments/{{id}}",
        f"{repo}/statuses/{report.head_sha}",
    )


def _status_body(report: Report) -> dict[str, str]:
    body = {
        "state": STATES[report.forge][report.state],
        "target_url": report.target_url,
        "description": report.description[:140],
    }
    body["name" if report.forge == "gitlab" else "context"] = CONTEXT
    return body


async def send(
    report: Report, comment_id: str, transport: httpx.AsyncBaseTransport | None = None
) -> str:
    """Post or edit the comment and set the commit status; returns the comment's id."""
    base = (report.base_url or DEFAULT_BASE[report.forge]).rstrip("/")
    create, edit, commit_status = _paths(report)
    edit_verb = "PUT" if report.forge == "gitlab" else "PATCH"
    async with httpx.AsyncClient(
        base_url=base + "/",
        headers=_headers(report.forge, report.token),
        timeout=TIMEOUT_S,
        transport=transport,
    ) as client:
        comment = {"body": report.body}
        answer = None
        if comment_id:
            answer = await _call(
                client, edit_verb, edit.format(id=comment_id), comment, allow_404=True
            )
        if answer is None:  # none yet, or someone deleted it: post a new one
            answer = await _call(client, "POST", create, comment)
            comment_id = str(answer.get("id", ""))
        if report.head_sha:
            await _call(client, "POST", commit_status, _status_body(report))
    return comment_id


async def _call(
    client: httpx.AsyncClient, verb: str, path: str, body: dict, allow_404: bool = False
) -> dict | None:
    try:
        response = await client.request(verb, path, json=body)
    except httpx.HTTPError as exc:
        raise ForgeError(f"{verb} {path}: {type(exc).__name__}") from None
    if response.status_code == 404 and allow_404:
        return None
    if response.status_code >= 300:
        raise ForgeError(f"{verb} {path}: the forge answered {response.status_code}")
    try:
        answer = response.json()
    except ValueError:
        return {}
    return answer if isinstance(answer, dict) else {}
