"""Getting the next reset ready once a checkpoint or a reset answered (docs/plugins.md, "Fast
resets"): the plugin's `prepare_reset` (postgres-database: a spare copy of the checkpoint), then
the plugin of the next reset to that checkpoint started ahead of time and held at its stdin, so
that reset waits for neither a copy nor a container start (~1 s on a loaded node).

One held run per deployment step. Any other work on the deployment (deploy, delete, sleep,
wake) or data action on the step (a checkpoint, a reset to another checkpoint, a drop)
discards it, which kills its container; a held run that ended by itself is discarded too, and
the reset then starts its plugin as usual."""

from __future__ import annotations

import asyncio
import logging

from agent.data_actions import Started, run_data_action, start_run
from agent.parts import Parts
from agent.protocol import SWAPPING, DataAction, DataResult, ErrorReply

log = logging.getLogger(__name__)


def wants_prepare(request: DataAction, result: DataResult) -> bool:
    """A checkpoint or reset whose plugin asked for `prepare_reset` next (docs/plugins.md)."""
    return request.action in SWAPPING and result.ok and result.outputs.get("prepare") is True


async def prepare_reset(parts: Parts, request: DataAction) -> bool:
    """Run by the agent, not asked for by the control plane (the caller holds the lock): a
    failure only makes the next reset slower, so it is logged, not reported."""
    follow = DataAction(
        id=0,
        deployment_id=request.deployment_id,
        step=request.step,
        action="prepare_reset",
        checkpoint=request.checkpoint,
    )
    result = await run_data_action(parts, follow)
    if isinstance(result, ErrorReply):
        log.info("deployment %s: no reset to prepare: %s", request.deployment_id, result.message)
        return False
    if not result.ok:
        log.warning(
            "deployment %s: preparing the next reset to %s failed (the next reset copies the"
            " checkpoint instead): %s",
            request.deployment_id,
            request.step,
            result.error,
        )
        return False
    log.info(
        "deployment %s: next reset of %s prepared in %.1f s",
        request.deployment_id,
        request.step,
        result.duration_s,
    )
    return True


class HeldResets:
    def __init__(self) -> None:
        self.held: dict[tuple[int, str], Started] = {}
        self.ending: set[asyncio.Future] = set()  # referenced until their containers are gone

    def hold(self, parts: Parts, deployment_id: int, step: str, checkpoint: str) -> None:
        """Start the plugin of a reset of `step` to `checkpoint`, its stdin held back."""
        self.discard(deployment_id, step)
        request = DataAction(
            id=0, deployment_id=deployment_id, step=step, action="reset", checkpoint=checkpoint
        )
        started = start_run(parts, request)
        if isinstance(started, Started):
            self.held[(deployment_id, step)] = started

    def take(self, request: DataAction) -> Started | None:
        """The held run when `request` is its reset; otherwise it is discarded."""
        started = self.held.pop((request.deployment_id, request.step), None)
        if started is None:
            return None
        if (
            request.action == "reset"
            and request.checkpoint == started.checkpoint
            and not started.task.done()
        ):
            return started
        self._end(started)
        return None

    def discard(self, deployment_id: int, step: str | None = None) -> None:
        for key in [k for k in self.held if k[0] == deployment_id and step in (None, k[1])]:
            self._end(self.held.pop(key))

    def _end(self, started: Started) -> None:
        started.task.cancel()  # run_plugin kills the container
        self.ending.add(started.task)
        started.task.add_done_callback(self.ending.discard)
