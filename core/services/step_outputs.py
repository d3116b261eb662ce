"""Step outputs on the control plane. What an agent reports is stored twice: a copy read-level
users may see, where every sensitive value is masked (agent.protocol.redaction: the outputs the
plugin's schema marks secret, and any text holding a project secret or a secret output, URL-
encoded or not), and, when anything was masked, the real outputs sealed under the master key.

The real outputs leave only to the agent (in the spec and in `delete`, so a rollback after an
agent restart gets what its apply had) and to a full-access user who reveals them
(deployment_history.reveal_outputs, audited).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from agent.protocol.redaction import MASK, mask_outputs, secret_texts
from core import crypto, runtime
from core.domain import pipeline as graphs
from core.domain import plugin_outputs
from core.errors import ShoalError
from core.services.secrets import reveal_secrets
from core.tables import Deployment, PipelineRun, PipelineStep, Plugin

log = logging.getLogger(__name__)

# `sealed_outputs` of a row written before outputs were protected: `outputs` is in clear, shown
# fully masked until `protect_legacy` has sealed it.
LEGACY = "legacy"


async def secret_keys(deployment_id: int) -> tuple[int | None, dict[str, list[str]]]:
    """The deployment's project and, per plugin node of its pipeline, the secret output keys
    its plugin's schema declares today (a key marked secret later is masked from then on)."""
    row = await (
        Deployment.select(Deployment.project, Deployment.pipeline_version.graph.as_alias("graph"))
        .where(Deployment.id == deployment_id)
        .first()
        .run()
    )
    if row is None:
        return None, {}
    raw = json.loads(row["graph"]) if isinstance(row["graph"], str) else row["graph"]
    nodes = [n for n in graphs.decode(raw).nodes if n.kind == "plugin"]
    plugin_ids = list({n.config.get("plugin_id") for n in nodes} - {None})
    schemas: dict[int, dict] = {}
    if plugin_ids:
        rows = await (
            Plugin.select(Plugin.id, Plugin.param_schema)
            .where(Plugin.id.is_in(plugin_ids))
            .output(load_json=True)
            .run()
        )
        schemas = {r["id"]: r["param_schema"] or {} for r in rows}
    keys = {
        n.id: plugin_outputs.secret_outputs(schemas.get(n.config.get("plugin_id"), {}))
        for n in nodes
    }
    return row["project"], keys


def real_outputs(run_id: int, node_id: str, shown: dict[str, Any], sealed: str) -> dict[str, Any]:
    """A step row's real outputs: the sealed ones when something was masked."""
    if not sealed or sealed == LEGACY:
        return shown
    return json.loads(runtime.box().decrypt(sealed, crypto.step_outputs_context(run_id, node_id)))


async def _earlier_secret_texts(run_id: int, node_id: str, keys: dict[str, list[str]]) -> list[str]:
    """The values of the other steps' secret outputs in this run: a later step that echoes a
    generated password must not show it either."""
    rows = await (
        PipelineStep.select(PipelineStep.node_id, PipelineStep.outputs, PipelineStep.sealed_outputs)
        .where(
            (PipelineStep.run == run_id)
            & (PipelineStep.node_id != node_id)
            & (PipelineStep.sealed_outputs != "")
        )
        .output(load_json=True)
        .run()
    )
    texts: list[str] = []
    for row in rows:
        if keys.get(row["node_id"]):
            shown = row["outputs"] or {}
            real = real_outputs(run_id, row["node_id"], shown, row["sealed_outputs"])
            texts.extend(secret_texts(real, keys[row["node_id"]]))
    return texts


async def protect(
    deployment_id: int, run_id: int, node_id: str, outputs: dict[str, Any]
) -> tuple[dict[str, Any], str]:
    """(what read-level users may see, the sealed real outputs or "" when nothing is hidden)."""
    if not outputs:
        return {}, ""
    try:
        project_id, keys = await secret_keys(deployment_id)
        secrets = list((await reveal_secrets(project_id)).values()) if project_id else []
        secrets += await _earlier_secret_texts(run_id, node_id, keys)
        shown, hidden = mask_outputs(outputs, keys.get(node_id, []), secrets)
        if not hidden:
            return outputs, ""
        text = json.dumps(outputs)
        return shown, runtime.box().encrypt(text, crypto.step_outputs_context(run_id, node_id))
    except ShoalError as error:  # no or a wrong master key: keep nothing rather than cleartext
        log.warning("deployment %s step %s: outputs not kept (%s)", deployment_id, node_id, error)
        return {key: MASK for key in outputs}, ""


async def current_outputs(deployment_id: int) -> dict[str, dict[str, Any]]:
    """The real outputs of the steps that succeeded in the deployment's latest deploy run."""
    run = await (
        PipelineRun.select(PipelineRun.id)
        .where((PipelineRun.deployment == deployment_id) & (PipelineRun.action == "deploy"))
        .order_by(PipelineRun.id, ascending=False)
        .first()
        .run()
    )
    if run is None:
        return {}
    rows = await (
        PipelineStep.select(PipelineStep.node_id, PipelineStep.outputs, PipelineStep.sealed_outputs)
        .where((PipelineStep.run == run["id"]) & (PipelineStep.status == "succeeded"))
        .output(load_json=True)
        .run()
    )
    return {
        r["node_id"]: real_outputs(run["id"], r["node_id"], r["outputs"] or {}, r["sealed_outputs"])
        for r in rows
    }


async def rollback_inputs(deployment_id: int) -> tuple[dict[str, str], dict[str, dict[str, Any]]]:
    """What plugin rollbacks need that an agent keeps only in memory: (secrets, real outputs)."""
    row = await (
        Deployment.select(Deployment.project).where(Deployment.id == deployment_id).first().run()
    )
    if row is None:
        return {}, {}
    return await reveal_secrets(row["project"]), await current_outputs(deployment_id)


async def protect_legacy(limit: int = 200) -> int:
    """Seal (and mask) up to `limit` rows written before outputs were protected."""
    rows = await (
        PipelineStep.select(
            PipelineStep.id,
            PipelineStep.run,
            PipelineStep.run.deployment.as_alias("deployment"),
            PipelineStep.node_id,
            PipelineStep.outputs,
        )
        .where(PipelineStep.sealed_outputs == LEGACY)
        .limit(limit)
        .output(load_json=True)
        .run()
    )
    for row in rows:
        outputs = row["outputs"] or {}
        if isinstance(outputs, str):  # JSONB beside a joined column comes back as text
            outputs = json.loads(outputs)
        shown, sealed = await protect(row["deployment"], row["run"], row["node_id"], outputs)
        await (
            PipelineStep.update({PipelineStep.outputs: shown, PipelineStep.sealed_outputs: sealed})
            .where(PipelineStep.id == row["id"])
            .run()
        )
    return len(rows)
