"""A plugin run's stderr as the agent hands it over with the step (StepFinished.log): bounded to
the last megabyte, secrets masked, for apply and rollback alike, on a real agent and dockerd."""

from __future__ import annotations

import time

import pytest

from agent import protocol as p
from agent.protocol.redaction import MASK
from shoaltest.agent import labelled, make_spec, plugin_node

pytestmark = pytest.mark.docker


def finished(client, deployment_id: int, action: str = "apply") -> dict[str, p.StepFinished]:
    return {
        e.step: e
        for e in client.events
        if isinstance(e, p.StepFinished) and e.deployment_id == deployment_id and e.action == action
    }


async def test_a_plugin_writing_100_mb_to_stderr_finishes_with_its_last_megabyte_kept(
    agent, plugin_image
):
    spec = make_spec(21, [plugin_node("chatty", plugin_image, mode="errflood", timeout_s=240)])
    client = await agent.client()
    try:
        started = time.monotonic()
        await client.request(p.Deploy, spec=spec)
        status = await client.wait_status(21, "running", "failed", within=240)
        assert status.status == "running", status.error
        step = finished(client, 21)["chatty"]
        assert step.ok
        kept = step.log.encode()
        assert p.STEP_LOG_BYTES - 10_000 < len(kept) <= p.STEP_LOG_BYTES + 100
        assert step.log.startswith("[shoal: ") and "bytes of earlier output not kept]" in step.log
        assert step.log.endswith("errflood: the last line")
        live = [e for e in client.events if isinstance(e, p.LogLine) and e.step == "chatty"]
        # the live stream stops at its cap (a full session queue may drop some lines before)
        assert sum(len(e.line) + 1 for e in live) < 1.1 * 1024 * 1024
        assert labelled(agent.agent_id)[0] == []  # the plugin's container is gone
        print(f"100 MB of stderr took {time.monotonic() - started:.1f} s")
    finally:
        await client.close()


async def test_secrets_and_secret_outputs_are_masked_in_the_kept_and_the_live_log(
    agent, plugin_image
):
    spec = make_spec(
        22,
        [
            plugin_node("makes", plugin_image, secret_outputs=["action"]),  # "apply" is secret
            plugin_node("leaks", plugin_image, mode="leak"),
        ],
        [("makes", "leaks")],
        secrets={"DB_PASSWORD": "hunter2-hidden"},
    )
    client = await agent.client()
    try:
        await client.request(p.Deploy, spec=spec)
        status = await client.wait_status(22, "running", "failed")
        assert status.status == "running", status.error
        log = finished(client, 22)["leaks"].log
        assert "leaking the whole document" in log and MASK in log
        assert "hunter2-hidden" not in log
        assert '"action":"apply"' not in log  # an earlier step's secret output
        live = [e.line for e in client.events if isinstance(e, p.LogLine) and e.step == "leaks"]
        assert any("leaking the whole document" in line for line in live)
        assert not any("hunter2-hidden" in line for line in live)
    finally:
        await client.close()


async def test_a_rollback_hands_over_its_own_stderr(agent, plugin_image):
    spec = make_spec(
        23,
        [plugin_node("first", plugin_image), plugin_node("breaks", plugin_image, mode="fail")],
        [("first", "breaks")],
    )
    client = await agent.client()
    try:
        await client.request(p.Deploy, spec=spec)
        status = await client.wait_status(23, "failed")
        failed = finished(client, 23)["breaks"]
        assert not failed.ok and "boom: exiting 3" in failed.log
        assert "plugin apply starting" in finished(client, 23)["first"].log
        await client.wait_event(
            lambda e: isinstance(e, p.StepFinished) and e.action == "rollback", within=30
        )
        rollback = finished(client, 23, "rollback")["first"]
        assert rollback.ok and rollback.log == "plugin rollback starting"
        assert "boom" in status.error
    finally:
        await client.close()
