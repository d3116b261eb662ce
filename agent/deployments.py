"""The deployments of this node: start, redeploy, delete; one task per running pipeline.

Idempotent by deployment id: a deploy for a deployment already deploying or running the same
pipeline version returns its state and starts nothing (no duplicate containers). Work on one
deployment is serialised by its lock. Secrets, registry credentials and the real step outputs
stay in memory only, for as long as the deployment lives here (plugin rollbacks need them).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Collection, Coroutine
from typing import TYPE_CHECKING, Any

import msgspec

from agent.pipeline import PipelineRun, StepFailed
from agent.plan import PlanError
from agent.protocol import (
    DeploymentSpec,
    DeploymentState,
    DeploymentStatus,
    RegistryCredential,
    StepState,
)
from agent.run_memory import RunMemory
from agent.runtime import DockerUnavailable
from agent.teardown import teardown

if TYPE_CHECKING:
    from agent.app import App
    from agent.store import DeploymentRecord

log = logging.getLogger(__name__)

INTERRUPTED = "interrupted by an agent restart; rolled back"
DOCKER_WAIT_S = 60.0


class Deployments:
    def __init__(self, app: App) -> None:
        self.app = app
        self.tasks: dict[int, asyncio.Task] = {}
        self.locks: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)
        self.secrets: dict[int, dict[str, str]] = {}
        self.credentials: dict[int, list[RegistryCredential]] = {}
        self.runs = RunMemory()
        self.synced = False  # the control plane sent its desired state to this process

    def busy(self, deployment_id: int) -> bool:
        task = self.tasks.get(deployment_id)
        return task is not None and not task.done()

    # ---- requests

    def remember(self, spec: DeploymentSpec) -> None:
        """Keep what a re-run or a rollback needs but the disk must never see. A sync that
        leaves secrets or credentials out does not erase the ones already known."""
        if spec.secrets or spec.id not in self.secrets:
            self.secrets[spec.id] = dict(spec.secrets)
        if spec.registry_credentials:
            self.credentials[spec.id] = list(spec.registry_credentials)
        self.runs.adopt(spec.id, spec.outputs)

    def deploy(self, spec: DeploymentSpec) -> DeploymentState:
        self.remember(spec)
        record = self.app.store.get(spec.id)
        same_version = record is not None and record.spec.pipeline_version == spec.pipeline_version
        if same_version and record.status in ("deploying", "running") and self.busy(spec.id):
            return self.state(spec.id)
        if same_version and record.status == "running":
            self.app.store.set_desired(spec.id, True)
            return self.state(spec.id)
        previous = record.spec if record is not None else None
        self.app.store.save_deployment(spec, "deploying")
        self._start(spec.id, self._run(spec, previous, self.tasks.get(spec.id)), "deploy")
        return self.state(spec.id)

    def delete(self, deployment_id: int) -> DeploymentState:
        record = self.app.store.get(deployment_id)
        if record is None:
            return DeploymentState(
                deployment_id=deployment_id, status="deleted", pipeline_version=0
            )
        if record.status == "deleting" and self.busy(deployment_id):
            return self.state(deployment_id)
        self.app.store.set_desired(deployment_id, False)
        self._set_status(deployment_id, "deleting")
        self._start(
            deployment_id, self._delete(deployment_id, self.tasks.get(deployment_id)), "delete"
        )
        return self.state(deployment_id)

    def sync(self, specs: list[DeploymentSpec], keep: Collection[int] = ()) -> None:
        """Make the desired set exactly `specs`: deploy what is missing, delete the rest, but
        leave the deployments in `keep` as they are (the control plane wants them, and cannot
        send their spec now)."""
        self.synced = True
        wanted = {spec.id for spec in specs} | set(keep)
        for record in self.app.store.all():
            deleting = record.status == "deleting" and self.busy(record.spec.id)
            if record.spec.id not in wanted and not deleting:
                self.delete(record.spec.id)
        for spec in specs:
            self.remember(spec)
            record = self.app.store.get(spec.id)
            stale = record is None or record.status == "deleted" or record.retry_on_sync
            interrupted = record is not None and record.status in ("deploying", "deleting")
            if (
                stale
                or (interrupted and not self.busy(spec.id))
                or (record is not None and record.spec.pipeline_version != spec.pipeline_version)
            ):
                self.deploy(spec)
            else:
                self.app.store.set_desired(spec.id, True)

    # ---- state

    def state(self, deployment_id: int) -> DeploymentState:
        record = self.app.store.get(deployment_id)
        if record is None:
            return DeploymentState(
                deployment_id=deployment_id, status="deleted", pipeline_version=0
            )
        return self._state_of(record)

    def states(self) -> list[DeploymentState]:
        return [self._state_of(record) for record in self.app.store.all()]

    def _state_of(self, record: DeploymentRecord) -> DeploymentState:
        steps = [
            StepState(step=s.step, status=s.status, error=s.error, outputs=s.outputs)  # type: ignore[arg-type]
            for s in self.app.store.steps(record.spec.id)
        ]
        return DeploymentState(
            deployment_id=record.spec.id,
            status=record.status,  # type: ignore[arg-type]
            pipeline_version=record.spec.pipeline_version,
            error=record.error,
            ports=record.ports,
            publish_address=self.app.config.publish_address,
            steps=steps,
        )

    # ---- work

    def _start(self, deployment_id: int, work: Coroutine[Any, Any, None], kind: str) -> None:
        task = asyncio.create_task(work, name=f"{kind}-{deployment_id}")
        self.tasks[deployment_id] = task

    @staticmethod
    async def _after(before: asyncio.Task | None) -> None:
        """Let an earlier task on the same deployment end: a deploy is cancelled (it rolls itself
        back), a delete is waited for."""
        if before is None or before.done():
            return
        if before.get_name().startswith("deploy-"):
            before.cancel()
        await asyncio.wait([before])

    async def _run(
        self, spec: DeploymentSpec, previous: DeploymentSpec | None, before: asyncio.Task | None
    ) -> None:
        await self._after(before)
        async with self.locks[spec.id]:
            record = self.app.store.get(spec.id)
            previous_ports = record.ports if record is not None else {}
            self.app.store.save_deployment(spec, "deploying")  # a delete may have run meanwhile
            self.emit_status(spec.id)
            in_memory = msgspec.structs.replace(
                spec,
                secrets=self.secrets.get(spec.id, {}),
                registry_credentials=self.credentials.get(spec.id, []),
            )
            # Docker answering now and gone later is a daemon restart under the run: worth
            # waiting for to roll back (down from the start, there is nothing to roll back).
            patient = self.app.docker.available
            try:
                await teardown(self.app, spec.id, previous)  # leftovers of an older version/crash
                self.app.store.clear_steps(spec.id)
                self.runs.start(spec.id)
                ports = await PipelineRun(self.app, in_memory, previous_ports).run()
            except asyncio.CancelledError:
                # Whoever cancelled (a delete, a newer version) owns the status from here on.
                await self._roll_back(spec, "cancelled", report=False, patient=patient)
                raise
            except (StepFailed, PlanError, DockerUnavailable) as error:
                await self._roll_back(spec, str(error), patient=patient)
                return
            except Exception as error:
                log.exception("deployment %s failed unexpectedly", spec.id)
                why = f"internal error: {type(error).__name__}: {error}"
                await self._roll_back(spec, why, patient=patient)
                return
            self.app.store.set_status(spec.id, "running", ports=ports)
            self.emit_status(spec.id)

    async def _roll_back(
        self, spec: DeploymentSpec, error: str, *, report: bool = True, patient: bool = False
    ) -> None:
        try:
            await self._teardown(spec, DOCKER_WAIT_S if patient else 0.0)
        except Exception as failure:
            log.warning(
                "deployment %s: rollback incomplete (%s); reconcile will retry", spec.id, failure
            )
            error = f"{error}; rollback incomplete: {failure}"
        if report:
            self.app.store.set_status(spec.id, "failed", error)
            self.emit_status(spec.id)

    async def _teardown(self, spec: DeploymentSpec, patience: float) -> None:
        """A dockerd restarting under the run (a node reboot) gets `patience` seconds to come
        back: the plugin rollbacks and the removals need it, and a little patience leaves
        nothing half-made behind."""
        deadline = time.monotonic() + patience
        while True:
            await self.app.docker.wait_available(max(deadline - time.monotonic(), 0.0))
            try:
                await teardown(self.app, spec.id, spec)
                return
            except DockerUnavailable:
                if time.monotonic() >= deadline:
                    raise
                await asyncio.sleep(0.5)

    async def _delete(self, deployment_id: int, before: asyncio.Task | None) -> None:
        await self._after(before)
        async with self.locks[deployment_id]:
            record = self.app.store.get(deployment_id)
            try:
                await teardown(self.app, deployment_id, record.spec if record else None)
            except Exception as error:
                log.warning(
                    "deployment %s: delete incomplete (%s); reconcile retries", deployment_id, error
                )
                return
            self.app.store.forget(deployment_id)
            self.secrets.pop(deployment_id, None)
            self.credentials.pop(deployment_id, None)
            self.runs.forget(deployment_id)
            self.app.events.emit(DeploymentStatus(deployment_id=deployment_id, status="deleted"))

    def _set_status(self, deployment_id: int, status: str) -> None:
        self.app.store.set_status(deployment_id, status)
        self.emit_status(deployment_id)

    def emit_status(self, deployment_id: int) -> None:
        state = self.state(deployment_id)
        self.app.events.emit(
            DeploymentStatus(
                deployment_id=deployment_id,
                status=state.status,
                error=state.error,
                ports=state.ports,
                publish_address=state.publish_address,
            )
        )
