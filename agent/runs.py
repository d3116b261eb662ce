"""The two pieces of work a deployment gets on this node, each run by work.Work under the
deployment's lock, start to end in one function:

- deploy: remove what an older version or a crash left, run the pipeline, mark it running; on
  a failure or a cancel roll back (teardown.py), and on a failure mark it failed;
- delete: roll back and remove everything, then forget the deployment.

Secrets, credentials and the real step outputs come from memory (run_memory.py), never the disk.
"""

from __future__ import annotations

import asyncio
import logging
import time

from agent import status
from agent.parts import Parts
from agent.pipeline import PipelineRun, StepFailed
from agent.plan import PlanError
from agent.protocol import DeploymentSpec
from agent.runtime import DockerUnavailable
from agent.teardown import teardown

log = logging.getLogger(__name__)

INTERRUPTED = "interrupted by an agent restart; rolled back"
DOCKER_WAIT_S = 60.0


async def deploy(parts: Parts, spec: DeploymentSpec, previous: DeploymentSpec | None) -> None:
    store, memory = parts.store, parts.memory
    record = store.get(spec.id)
    previous_ports = record.ports if record is not None else {}
    store.save_deployment(spec, "deploying")  # a delete may have run meanwhile
    status.report(parts, spec.id)
    in_memory = memory.complete(spec)
    # Docker answering now and gone later is a daemon restart under the run: worth waiting for
    # to roll back (down from the start, there is nothing to roll back).
    patient = parts.engine.available
    try:
        await teardown(parts, spec.id, previous)  # leftovers of an older version or a crash
        store.clear_steps(spec.id)
        memory.start(spec.id)
        ports = await PipelineRun(parts, in_memory, previous_ports).run()
    except asyncio.CancelledError:
        # Whoever cancelled (a delete, a newer version) owns the status from here on.
        await roll_back(parts, spec, "cancelled", report=False, patient=patient)
        raise
    except (StepFailed, PlanError, DockerUnavailable) as error:
        await roll_back(parts, spec, str(error), patient=patient)
        return
    except Exception as error:
        log.exception("deployment %s failed unexpectedly", spec.id)
        why = f"internal error: {type(error).__name__}: {error}"
        await roll_back(parts, spec, why, patient=patient)
        return
    status.move(parts, spec.id, "running", ports=ports)


async def roll_back(
    parts: Parts, spec: DeploymentSpec, error: str, *, report: bool = True, patient: bool = False
) -> None:
    try:
        await _teardown_patiently(parts, spec, DOCKER_WAIT_S if patient else 0.0)
    except Exception as failure:
        log.warning(
            "deployment %s: rollback incomplete (%s); reconcile will retry", spec.id, failure
        )
        error = f"{error}; rollback incomplete: {failure}"
    if report:
        status.move(parts, spec.id, "failed", error)


async def _teardown_patiently(parts: Parts, spec: DeploymentSpec, patience: float) -> None:
    """A dockerd restarting under the run (a node reboot) gets `patience` seconds to come back:
    the plugin rollbacks and the removals need it, and a little patience leaves nothing
    half-made behind."""
    deadline = time.monotonic() + patience
    while True:
        await parts.engine.wait_available(max(deadline - time.monotonic(), 0.0))
        try:
            await teardown(parts, spec.id, spec)
            return
        except DockerUnavailable:
            if time.monotonic() >= deadline:
                raise
            await asyncio.sleep(0.5)


async def delete(parts: Parts, deployment_id: int) -> None:
    record = parts.store.get(deployment_id)
    try:
        await teardown(parts, deployment_id, record.spec if record else None)
    except Exception as error:
        log.warning(
            "deployment %s: delete incomplete (%s); reconcile retries", deployment_id, error
        )
        return
    parts.store.forget(deployment_id)
    parts.memory.forget(deployment_id)
    status.report(parts, deployment_id)  # gone: reported as deleted
