"""Step outputs that hold secrets, on the real database and through the real app: what agents
report is stored masked with the real values sealed, read-level users never see a secret (page,
API), full access reveals (audited, no value in the entry), and the real outputs go back to
the agent in the spec and the delete. The agent side is in tests/integration/plugins."""

from __future__ import annotations

from urllib.parse import quote, quote_plus

import pytest

from agent import protocol as p
from agent.protocol.redaction import MASK, secret_forms
from core import crypto, db, runtime
from core.errors import InvalidInput
from core.hub import events
from core.jobs import housekeeping
from core.services import (
    accounts,
    deployment_specs,
    key_rotation,
    plugins,
    secrets,
    step_outputs,
    teams,
)
from core.tables import AuditEvent, Deployment, PipelineStep, PipelineVersion, Registry
from shoaltest.db import insert_row
from shoaltest.web import api_client

APP_PW = "app p@ss/w+rd:1"  # encodes differently under quote and quote_plus
GENERATED = "gen-8f3kQ2"  # a value the plugin made up and marks secret
DB_SCHEMA = {
    "type": "object",
    "properties": {"host": {"type": "string"}},
    "x-outputs": ["url", "host", "user", "password"],
    "x-secret-outputs": ["url", "password"],
}
URL = f"postgresql://app:{quote(GENERATED, safe='')}@db:5432/app"
REPORTED = {
    "appdb": {"url": URL, "host": "db", "user": "app", "password": GENERATED},
    "echo": {"dsn": f"pw={quote_plus(APP_PW)}", "note": "nothing secret"},
    "later": {"env": f"DATABASE_URL={URL}", "count": 2},
}


async def _deployment(world) -> int:
    """A deployment of a pipeline whose `appdb` plugin marks url and password secret, with a
    project secret, reported by the agent exactly as REPORTED."""
    registry = (await Registry.select(Registry.id).first().run())["id"]
    made = {}
    for name, schema in (("pgdb", DB_SCHEMA), ("shell", {"type": "object"})):
        made[name] = await plugins.create_plugin(
            world.admin,
            plugins.PluginInput(
                name=name, registry_id=registry, image=f"shop/{name}", tag="1", param_schema=schema
            ),
        )
    graph = {
        "nodes": [
            {"id": "appdb", "kind": "plugin", "config": {"plugin_id": made["pgdb"].id}},
            {"id": "echo", "kind": "plugin", "config": {"plugin_id": made["shell"].id}},
            {"id": "later", "kind": "plugin", "config": {"plugin_id": made["shell"].id}},
        ],
        "edges": [{"from": "appdb", "to": "echo"}, {"from": "echo", "to": "later"}],
        "layout": {},
    }
    version = await insert_row(PipelineVersion(project=world.project_id, version=2, graph=graph))
    await secrets.set_secret(world.admin, world.project_id, "APP_PW", APP_PW)
    deployment_id = await insert_row(
        Deployment(
            project=world.project_id,
            environment=world.env_id,
            node=world.node_id,
            pipeline_version=version,
            name="leaky",
            status="deploying",
        )
    )
    for step, outputs in REPORTED.items():
        event = p.StepFinished(deployment_id=deployment_id, step=step, ok=True, outputs=outputs)
        await events.record_step(world.node_id, event)
    return deployment_id


def _leaks(text: str) -> list[str]:
    return [form for form in secret_forms([APP_PW, GENERATED]) if form in text]


async def _user(world, name: str, level: str | None):
    user = await accounts.create_user(world.admin, username=name, password=f"{name}-password-1")
    if level:
        team = await teams.create_team(world.admin, f"{name}-team")
        await teams.add_member(world.admin, team.id, user.id)
        await teams.grant(world.admin, team.id, "project", world.project_id, level)
    return user


async def test_read_access_never_sees_a_secret_and_full_access_reveals_audited(
    web_app, world, client, queue
):
    deployment_id = await _deployment(world)
    stored = await db.fetch("SELECT outputs::text, sealed_outputs FROM pipeline_steps")
    assert len(stored) == 3 and _leaks(" ".join(r[0] + r[1] for r in stored)) == []
    assert all(row[1] for row in stored)  # each of the three had something to hide
    assert await step_outputs.current_outputs(deployment_id) == REPORTED

    reader = await _user(world, "reader", "read")
    await client.login("reader", "reader-password-1")
    for url in (f"/deployments/{deployment_id}", f"/deployments/{deployment_id}/live"):
        page = await client.get(url)
        assert page.status_code == 200 and "appdb" in page.text
        assert _leaks(page.text) == [] and MASK in page.text and "secrets masked" in page.text
        assert "/reveal" not in page.text
    refused_page = await client.form(f"/deployments/{deployment_id}/steps/appdb/reveal", {})
    assert refused_page.status_code == 403 and _leaks(refused_page.text) == []
    async with await api_client(web_app, reader) as api:
        steps = await api.get(f"/api/v1/deployments/{deployment_id}/steps")
        assert steps.status_code == 200 and _leaks(steps.text) == []
        shown = {s["node_id"]: s for s in steps.json()}
        assert shown["appdb"]["hidden"] and shown["appdb"]["outputs"]["url"] == MASK
        assert shown["echo"]["outputs"] == {"dsn": f"pw={MASK}", "note": "nothing secret"}
        assert shown["later"]["outputs"]["env"] == f"DATABASE_URL={MASK}"
        refused = await api.post(f"/api/v1/deployments/{deployment_id}/steps/appdb/reveal")
        assert refused.status_code == 403 and _leaks(refused.text) == []

    stranger = await _user(world, "stranger", None)
    async with await api_client(web_app, stranger) as api:
        for call in (
            api.get(f"/api/v1/deployments/{deployment_id}/steps"),
            api.post(f"/api/v1/deployments/{deployment_id}/steps/appdb/reveal"),
        ):
            assert (await call).status_code == 404

    owner = await _user(world, "owner", "full")
    async with await api_client(web_app, owner) as api:
        revealed = await api.post(f"/api/v1/deployments/{deployment_id}/steps/appdb/reveal")
        assert revealed.status_code == 200, revealed.text
        assert "no-store" in revealed.headers["cache-control"]
        assert revealed.json()["outputs"] == REPORTED["appdb"]
        bad = await api.post(f"/api/v1/deployments/{deployment_id}/steps/no%00de/reveal")
        assert bad.status_code in (400, 404)
        missing = await api.post(f"/api/v1/deployments/{deployment_id}/steps/ghost/reveal")
        assert missing.status_code == 404
    client.cookies.clear()  # the same browser, now signed in as the owner
    client.csrf = ""
    await client.login("owner", "owner-password-1")
    page = await client.page(f"/deployments/{deployment_id}")
    assert f"/deployments/{deployment_id}/steps/appdb/reveal" in page.text
    assert _leaks(page.text) == []
    fragment = await client.form(f"/deployments/{deployment_id}/steps/later/reveal", {})
    assert fragment.status_code == 200 and "DATABASE_URL=postgresql://app:gen-8f3kQ2@db" in (
        fragment.text
    )

    audit = await AuditEvent.select().where(AuditEvent.action == "deployment.reveal_outputs").run()
    outcomes = sorted((a["actor_name"], a["outcome"], a["detail"]) for a in audit)
    assert ("owner", "ok", "step appdb") in outcomes and ("owner", "ok", "step later") in outcomes
    refusals = [o for o in outcomes if o[:2] == ("reader", "refused")]
    assert len(refusals) == 2 and "needs full access" in refusals[0][2]  # page and API
    everything = " ".join(str(v) for row in await AuditEvent.select().run() for v in row.values())
    assert _leaks(everything) == []


async def test_the_spec_and_the_delete_carry_the_real_outputs_and_secret_keys(world, queue):
    deployment_id = await _deployment(world)
    spec = await deployment_specs.build_spec(deployment_id)
    assert spec.outputs == REPORTED
    assert {n.id: n.config.secret_outputs for n in spec.nodes} == {
        "appdb": ["url", "password"],
        "echo": [],
        "later": [],
    }
    assert (await deployment_specs.build_spec(deployment_id, with_secrets=False)).outputs == {}
    assert await step_outputs.rollback_inputs(deployment_id) == ({"APP_PW": APP_PW}, REPORTED)


async def test_key_rotation_reseals_step_outputs(world, queue):
    old = crypto.generate_key()
    runtime.install(box=crypto.SecretBox(old))  # before anything is sealed: the test knows it
    deployment_id = await _deployment(world)
    new = crypto.generate_key()
    counts = await key_rotation.rotate_all([old], new)
    assert counts["step outputs"] == 3
    runtime.install(box=crypto.SecretBox(new))
    assert await step_outputs.current_outputs(deployment_id) == REPORTED


async def test_outputs_written_before_sealing_are_masked_until_the_job_seals_them(
    world, client, queue
):
    deployment_id = await _deployment(world)
    # What the migration leaves of a row an older release wrote: in clear, marked legacy.
    await (
        PipelineStep.update(
            {PipelineStep.outputs: REPORTED["appdb"], PipelineStep.sealed_outputs: "legacy"}
        )
        .where(PipelineStep.node_id == "appdb")
        .run()
    )
    await _user(world, "reader", "read")
    await client.login("reader", "reader-password-1")
    page = await client.get(f"/deployments/{deployment_id}/live")
    assert _leaks(page.text) == [] and page.text.count(MASK) >= 4
    assert await step_outputs.current_outputs(deployment_id) == REPORTED

    assert await housekeeping.protect_step_outputs({}) == {"protected": 1}
    assert await housekeeping.protect_step_outputs({}) == {"protected": 0}
    stored = await db.fetch("SELECT outputs::text, sealed_outputs FROM pipeline_steps")
    assert _leaks(" ".join(r[0] + r[1] for r in stored)) == []
    assert "legacy" not in [r[1] for r in stored]
    assert await step_outputs.current_outputs(deployment_id) == REPORTED


async def test_bad_output_declarations_are_refused_at_registration(world):
    registry = (await Registry.select(Registry.id).first().run())["id"]
    for schema in ({"x-secret-outputs": "url"}, {"x-outputs": ["a"], "x-secret-outputs": ["b"]}):
        with pytest.raises(InvalidInput, match="x-secret-outputs") as refused:
            await plugins.create_plugin(
                world.admin,
                plugins.PluginInput(
                    name="bad", registry_id=registry, image="shop/bad", tag="1", param_schema=schema
                ),
            )
        assert refused.value.field == "param_schema"
