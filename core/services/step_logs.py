"""Plugin stderr kept with its pipeline step (`pipeline_steps.log`), shown on the deployment page
and in GET /api/v1/deployments/{id}/steps to everyone who may see the deployment.

The agent hands it over in StepFinished.log, already bounded and masked with what it knew. Here
it is masked again with what the control plane knows (the project's secrets, and the secret
outputs of the deployment's latest deploy run, this step's own included) and bounded to the last
STEP_LOG_BYTES. A rollback's stderr follows its apply's in the same row, after ROLLBACK_MARK.
"""

from __future__ import annotations

import logging
from typing import Any

from agent.protocol import STEP_LOG_BYTES
from agent.protocol.redaction import MASK, secret_forms, secret_texts
from core.errors import ShoalError
from core.services import step_outputs
from core.services.secrets import reveal_secrets
from core.tables import PipelineStep

log = logging.getLogger(__name__)

ROLLBACK_MARK = "--- rollback ---"
NOT_KEPT = "[shoal: this log was not kept: the master key is needed to mask its secrets]"


def bounded(text: str, limit: int = STEP_LOG_BYTES) -> str:
    """The last `limit` bytes of `text`, from a line start when one is near, and a note."""
    data = text.encode()
    if len(data) <= limit:
        return text
    tail = data[-limit:]
    newline = tail.find(b"\n", 0, 4096)
    if newline >= 0:
        tail = tail[newline + 1 :]
    dropped = len(data) - len(tail)
    return f"[shoal: {dropped} bytes of earlier output not kept]\n{tail.decode(errors='ignore')}"


async def hidden_texts(deployment_id: int, node_id: str, outputs: dict[str, Any]) -> list[str]:
    """Every value a log of this deployment must not show."""
    project_id, keys = await step_outputs.secret_keys(deployment_id)
    hidden = list((await reveal_secrets(project_id)).values()) if project_id else []
    for step, real in (await step_outputs.current_outputs(deployment_id)).items():
        hidden += secret_texts(real, keys.get(step, []))
    return hidden + secret_texts(outputs, keys.get(node_id, []))


async def kept_log(
    deployment_id: int, run_id: int, node_id: str, action: str, text: str, outputs: dict[str, Any]
) -> str:
    """What the step row's `log` becomes once this run's stderr (`text`) arrived."""
    try:
        forms = secret_forms(await hidden_texts(deployment_id, node_id, outputs))
    except ShoalError as error:  # no or a wrong master key: keep nothing rather than cleartext
        log.warning("deployment %s step %s: log not kept (%s)", deployment_id, node_id, error)
        return NOT_KEPT
    for form in forms:
        text = text.replace(form, MASK)
    if action == "rollback":
        row = await (
            PipelineStep.select(PipelineStep.log)
            .where((PipelineStep.run == run_id) & (PipelineStep.node_id == node_id))
            .first()
            .run()
        )
        earlier = row["log"] if row else ""
        text = f"{earlier}\n{ROLLBACK_MARK}\n{text}" if earlier else f"{ROLLBACK_MARK}\n{text}"
    return bounded(text)
