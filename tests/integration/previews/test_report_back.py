"""Reporting back to the forge, against a local HTTP server standing in for its API: one
comment per pull request, edited in place; a commit status on the head commit linking to the
deployment page; each forge's paths and auth; a forge that is down is retried by the job and
never touches the deployment."""

from __future__ import annotations

import pytest

from core.domain.previews import PreviewRef
from core.forges.reporting import ForgeError
from core.services import preview_reports, preview_rules, previews
from core.tables import Deployment
from core.tables.previews import Preview
from shoaltest.forge_api import forge_api

from .conftest import rule_input

SHA = "ec26c3e57ca3a959ca5aad62de7213c562f8c821"


async def made_preview(pworld, forge: str = "github", repository: str = "Codertocat/Hello-World"):
    ref = PreviewRef(number=2, branch="changes", head_sha=SHA, author="Codertocat")
    preview = await previews.apply(pworld.rule_id, ref)
    await previews.reconcile(preview.id)
    return await previews.preview_row(preview.id)


async def test_one_comment_edited_in_place_and_a_commit_status(pworld):
    with forge_api() as forge:
        await preview_rules.update_rule(
            pworld.admin,
            pworld.rule_id,
            rule_input(pworld.env_id, api_base_url=forge.url, webhook_secret=None, api_token=None),
        )
        row = await made_preview(pworld)
        assert await preview_reports.report(row["id"]) == "pending, comment 1001"
        assert await preview_reports.report(row["id"]) == "pending, comment 1001"
        [first, second] = forge.comment_calls()
        assert (first.method, first.path) == (
            "POST",
            "/repos/Codertocat/Hello-World/issues/2/comments",
        )
        assert (second.method, second.path) == (
            "PATCH",
            "/repos/Codertocat/Hello-World/issues/comments/1001",
        )
        assert first.headers["authorization"] == "Bearer forge-token-1"
        body = second.body["body"]
        assert "pr-2" in body and "http://web.pr-2.qa.qa.test:8880" in body and "Expires" in body
        assert "commit `ec26c3e`" in body
        status = forge.status_calls()[-1]
        assert status.path == f"/repos/Codertocat/Hello-World/statuses/{SHA}"
        assert status.body["state"] == "pending" and status.body["context"] == "shoal/preview"
        assert status.body["target_url"].endswith(f"/deployments/{row['deployment']}")
        assert (await Preview.select(Preview.comment_id).first().run())["comment_id"] == "1001"
        # Someone deleted the comment on the forge: a new one is posted and remembered.
        forge.next_id = 2001
        original = forge.answer
        forge.answer = lambda m, p: (404, {}) if m == "PATCH" else original(m, p)  # type: ignore[method-assign]
        assert await preview_reports.report(row["id"]) == "pending, comment 2001"


@pytest.mark.parametrize(
    ("forge_kind", "repository", "comment_path", "auth"),
    [
        ("gitlab", "group/sub/shop", "/projects/group%2Fsub%2Fshop/merge_requests/2/notes",
         ("private-token", "forge-token-1")),
        ("gitea", "org/shop", "/repos/org/shop/issues/2/comments",
         ("authorization", "token forge-token-1")),
    ],
)  # fmt: skip
async def test_gitlab_and_gitea_paths_and_auth(pworld, forge_kind, repository, comment_path, auth):
    with forge_api() as forge:
        await preview_rules.update_rule(
            pworld.admin,
            pworld.rule_id,
            rule_input(pworld.env_id, forge=forge_kind, repository=repository,
                       api_base_url=forge.url + "/api", webhook_secret=None, api_token=None),
        )  # fmt: skip
        row = await made_preview(pworld)
        await preview_reports.report(row["id"])
        await preview_reports.report(row["id"])
        [post, edit] = forge.comment_calls()
        assert post.path == "/api" + comment_path and post.headers[auth[0]] == auth[1]
        assert edit.method == ("PUT" if forge_kind == "gitlab" else "PATCH")
        [status, _] = forge.status_calls()
        assert status.body["state"] == ("running" if forge_kind == "gitlab" else "pending")


async def test_a_forge_that_is_down_fails_the_report_only(pworld):
    with forge_api() as forge:
        forge.failing = True
        await preview_rules.update_rule(
            pworld.admin,
            pworld.rule_id,
            rule_input(pworld.env_id, api_base_url=forge.url, webhook_secret=None, api_token=None),
        )
        row = await made_preview(pworld)
        with pytest.raises(ForgeError, match="503"):
            await preview_reports.report(row["id"])
    refused = await previews.preview_row(row["id"])
    assert "503" in refused["report_error"] and "forge-token-1" not in refused["report_error"]
    dep = (
        await Deployment.select(Deployment.status)
        .where(Deployment.id == row["deployment"])
        .first()
        .run()
    )
    assert dep["status"] == "pending"  # untouched
