"""The preview service on the real database and queue: a pull request becomes one deployment
named from the rule, two pushes make one deployment (the second wins), outsiders wait for a
person with full access, closing removes it, and a template that renders a bad tag is an error
kept on the preview."""

from __future__ import annotations

import asyncio

import pytest

from core.domain.previews import PreviewRef
from core.errors import Forbidden, InvalidInput
from core.jobs import deployments as deployment_jobs
from core.services import preview_rules, previews, teams
from core.tables import Deployment

SHA_A = "a" * 40
SHA_B = "b" * 40


async def live_deployments() -> list[dict]:
    return (
        await Deployment.select().where(Deployment.status != "deleted").output(load_json=True).run()
    )


async def test_a_pull_request_becomes_one_deployment_named_and_tagged_by_the_rule(pworld):
    ref = PreviewRef(number=42, branch="feature/x", head_sha=SHA_A, author="octocat")
    preview = await previews.apply(pworld.rule_id, ref)
    assert await previews.reconcile(preview.id) == "created"
    [dep] = await live_deployments()
    assert dep["name"] == "pr-42"
    assert dep["tags"] == {"api": "1.0", "web": "pr-42"}
    assert dep["status"] == "pending" and dep["node"] == pworld.node_id
    assert (await previews.preview_of_deployment(dep["id"])).number == 42
    assert await previews.reconcile(preview.id) == "up to date"


async def test_two_pushes_within_a_second_make_one_deployment_and_the_second_wins(pworld):
    await preview_rules.update_rule(
        pworld.admin,
        pworld.rule_id,
        preview_rules.RuleInput(
            environment_id=pworld.env_id, repository="Codertocat/Hello-World",
            tag_templates={"web": "sha-{sha7}"},
        ),
    )  # fmt: skip
    first = previews.apply(pworld.rule_id, PreviewRef(number=7, head_sha=SHA_A))
    second = previews.apply(pworld.rule_id, PreviewRef(number=7, head_sha=SHA_B))
    one, two = await asyncio.gather(first, second)
    assert one.id == two.id
    outcomes = await asyncio.gather(previews.reconcile(one.id), previews.reconcile(one.id))
    assert sorted(outcomes) == ["created", "up to date"]
    [dep] = await live_deployments()
    row = await previews.preview_row(one.id)
    assert dep["tags"]["web"] == f"sha-{row['head_sha'][:7]}"
    assert row["applied_generation"] == row["generation"] == 2


async def test_a_fork_waits_for_approval_by_full_access_and_runs_nothing_before(pworld):
    ref = PreviewRef(number=3, head_sha=SHA_A, author="stranger", is_fork=True)
    preview = await previews.apply(pworld.rule_id, ref)
    assert preview.approval == "pending"
    assert await previews.reconcile(preview.id) == "held"
    [dep] = await live_deployments()
    assert dep["status"] == "awaiting_approval" and dep["node"] is None
    await teams.grant(pworld.admin, pworld.team_id, "project", pworld.project_id, "read")
    with pytest.raises(Forbidden):
        await previews.approve(pworld.user, preview.id)
    await teams.grant(pworld.admin, pworld.team_id, "environment", pworld.env_id, "full")
    approved = await previews.approve(pworld.user, preview.id)
    assert approved.approval == "approved" and approved.approved_by == "quinn"
    assert await previews.reconcile(preview.id) == "released"
    [dep] = await live_deployments()
    assert dep["status"] == "pending" and dep["node"] == pworld.node_id
    # A new push from the outsider waits for a person again.
    again = await previews.apply(
        pworld.rule_id, PreviewRef(number=3, head_sha=SHA_B, author="stranger", is_fork=True)
    )
    assert again.approval == "pending"


async def test_closing_removes_the_deployment_even_before_it_ran(pworld):
    ref = PreviewRef(number=5, head_sha=SHA_A, author="stranger", is_fork=True)
    preview = await previews.apply(pworld.rule_id, ref)
    await previews.reconcile(preview.id)
    [dep] = await live_deployments()
    await previews.close(pworld.rule_id, 5)
    assert await previews.reconcile(preview.id) == "deleted"
    await deployment_jobs.delete_deployment({}, deployment_id=dep["id"])
    assert await live_deployments() == []
    assert await previews.close(pworld.rule_id, 999) is None


async def test_a_template_rendering_a_bad_tag_is_kept_as_the_previews_error(pworld):
    await preview_rules.update_rule(
        pworld.admin,
        pworld.rule_id,
        preview_rules.RuleInput(
            environment_id=pworld.env_id, repository="Codertocat/Hello-World",
            tag_templates={"web": "{branch}"},
        ),
    )  # fmt: skip
    preview = await previews.apply(pworld.rule_id, PreviewRef(number=9, branch="///"))
    assert "not a valid tag" in preview.error
    assert (await previews.reconcile(preview.id)).startswith("refused")
    assert await live_deployments() == []


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"tag_templates": {"db": "pr-{number}"}}, "tag_templates.db"),
        ({"tag_templates": {"api": "pr-{number}"}}, "tag_templates.api"),  # pinned
        ({"tag_templates": {"web": "pr-{title}"}}, "tag_templates.web"),
        ({"tag_templates": {}, "default_tags": {}}, "default_tags"),
        ({"name_template": "pr-{title}"}, "name_template"),
        ({"default_tags": {"web": "a/b"}, "tag_templates": {}}, "default_tags.web"),
    ],
)
async def test_a_rule_with_a_service_or_template_that_cannot_work_is_refused(
    pworld, changes, field
):
    data = preview_rules.RuleInput(
        environment_id=pworld.env_id, repository="octo/other", webhook_secret="s",
        **{"tag_templates": {"web": "pr-{number}"}, **changes},
    )  # fmt: skip
    with pytest.raises(InvalidInput) as refused:
        await preview_rules.create_rule(pworld.admin, pworld.project_id, data)
    assert refused.value.field == field
