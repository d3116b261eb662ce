"""The deployments of this node: start, redeploy, delete; one task per running pipeline.

Here only the decisions: what a request asks of each deployment. Idempotent by deployment id:
a deploy for a deployment already deploying or running the same pipeline version returns its
state and starts nothing (no duplicate containers). The work itself is runs.py, one piece at a
time per deployment (work.py); secrets, credentials and real outputs stay in memory
(run_memory.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from typing import Any

from agent import naps, runs, status
from agent.data_actions import run_data_action
from agent.next_reset import HeldResets, prepare_reset, wants_prepare
from agent.parts import Parts
from agent.protocol import DataAction, DataResult, DeploymentSpec, DeploymentState, ErrorReply
from agent.work import Work


class Deployments:
    def __init__(self, parts: Parts) -> None:
        self.parts = parts
        self.work = Work()
        self.held = HeldResets()  # the next reset's plugin, started (next_reset.py)
        self.synced = False  # the control plane sent its desired state to this process

    def busy(self, deployment_id: int) -> bool:
        return self.work.busy(deployment_id)

    def _start(self, deployment_id: int, kind: Any, work: Any) -> None:
        self.held.discard(deployment_id)  # its container would outlive what it was made for
        self.work.start(deployment_id, kind, work)

    def deploy(self, spec: DeploymentSpec) -> DeploymentState:
        store = self.parts.store
        self.parts.memory.remember(spec)
        record = store.get(spec.id)
        same_version = record is not None and record.spec.pipeline_version == spec.pipeline_version
        if same_version and record.status in ("deploying", "running") and self.busy(spec.id):
            return self.state(spec.id)
        if same_version and record.status == "running":
            store.set_desired(spec.id, True)
            return self.state(spec.id)
        previous = record.spec if record is not None else None
        store.save_deployment(spec, "deploying")
        self._start(spec.id, "deploy", lambda: runs.deploy(self.parts, spec, previous))
        return self.state(spec.id)

    def delete(
        self,
        deployment_id: int,
        secrets: dict[str, str] | None = None,
        outputs: dict[str, dict[str, Any]] | None = None,
    ) -> DeploymentState:
        """Delete (cancel a run in flight); `secrets` and `outputs` are the control plane's, for
        plugin rollbacks after an agent restart."""
        self.parts.memory.remember_secrets(deployment_id, secrets or {})
        self.parts.memory.adopt(deployment_id, outputs or {})
        record = self.parts.store.get(deployment_id)
        if record is None or (record.status == "deleting" and self.busy(deployment_id)):
            return self.state(deployment_id)
        self.parts.store.set_desired(deployment_id, False)
        status.move(self.parts, deployment_id, "deleting")
        self._start(deployment_id, "delete", lambda: runs.delete(self.parts, deployment_id))
        return self.state(deployment_id)

    def sleep(self, deployment_id: int) -> DeploymentState:
        """Stop a running deployment's containers, keeping them (naps.py)."""
        record = self.parts.store.get(deployment_id)
        if record is not None and record.status == "running":
            self._start(deployment_id, "sleep", lambda: naps.sleep(self.parts, deployment_id))
        elif record is not None and record.status == "sleeping" and not self.busy(deployment_id):
            status.report(self.parts, deployment_id)  # already: the control plane hears it
        return self.state(deployment_id)

    def wake(self, deployment_id: int) -> DeploymentState:
        """Start a sleeping deployment's containers again (naps.py); a wake already under way
        is not started twice."""
        record = self.parts.store.get(deployment_id)
        task = self.work.tasks.get(deployment_id)
        waking = task is not None and not task.done() and task.get_name().startswith("wake-")
        if record is not None and record.status == "sleeping" and not waking:
            self._start(deployment_id, "wake", lambda: naps.wake(self.parts, deployment_id))
        elif record is not None and record.status == "running" and not self.busy(deployment_id):
            # Awake already (the answer to an earlier wake was lost with its connection): the
            # control plane, waiting in `waking`, hears `running` now.
            status.report(self.parts, deployment_id)
        return self.state(deployment_id)

    async def data_action(self, request: DataAction) -> DataResult | ErrorReply:
        """Under the deployment's lock, after the work already asked for (data_actions.py).
        A result that asks for it has `prepare_reset` run next, after the answer, then the
        plugin of the next reset started and held (next_reset.py): a later data action, sleep
        or delete waits for the preparation, a deploy does not cancel it."""
        before = self.work.tasks.get(request.deployment_id)
        if before is not None and not before.done():
            await asyncio.wait([before])
        async with self.work.locks[request.deployment_id]:
            held = None if request.action == "usage" else self.held.take(request)
            result = await run_data_action(self.parts, request, held)
        if isinstance(result, DataResult) and wants_prepare(request, result):

            async def prepare() -> None:
                if await prepare_reset(self.parts, request):
                    self.held.hold(
                        self.parts, request.deployment_id, request.step, request.checkpoint
                    )

            self.work.start(request.deployment_id, "prepare", prepare)
        return result

    def sync(self, specs: list[DeploymentSpec], keep: Collection[int] = ()) -> None:
        """Make the desired set exactly `specs`: deploy what is missing, delete the rest, but
        leave the deployments in `keep` as they are (the control plane wants them, and cannot
        send their spec now)."""
        store = self.parts.store
        self.synced = True
        wanted = {spec.id for spec in specs} | set(keep)
        for record in store.all():
            deleting = record.status == "deleting" and self.busy(record.spec.id)
            if record.spec.id not in wanted and not deleting:
                self.delete(record.spec.id)
        for spec in specs:
            self.parts.memory.remember(spec)
            record = store.get(spec.id)
            stale = record is None or record.status == "deleted" or record.retry_on_sync
            interrupted = record is not None and record.status in ("deploying", "deleting")
            if (
                stale
                or (interrupted and not self.busy(spec.id))
                or (record is not None and record.spec.pipeline_version != spec.pipeline_version)
            ):
                self.deploy(spec)
            else:
                store.set_desired(spec.id, True)

    def state(self, deployment_id: int) -> DeploymentState:
        return status.state(self.parts, deployment_id)

    def states(self) -> list[DeploymentState]:
        return status.states(self.parts)
