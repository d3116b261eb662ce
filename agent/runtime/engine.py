"""The real Engine (agent/engine.py): each operation runs the blocking docker SDK call of its
runtime module on a worker thread, through `Docker.call`."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Literal

from agent.protocol import RegistryCredential, Volume
from agent.runtime import LABEL_DEPLOYMENT, Docker, containers, images, networks, volumes
from agent.runtime.attach import AttachedRun, StderrLines, run_attached
from agent.runtime.containers import OwnContainer
from agent.runtime.execs import ExecOutput, run_exec
from agent.runtime.stats import ContainerStats, Usage
from agent.runtime.terminals import open_pty
from agent.runtime.traffic import NetCounters

EXIT_LOG_LINES = 5


class DockerEngine(Docker):
    def __init__(self, agent_id: str) -> None:
        super().__init__(agent_id)
        self.stats = ContainerStats(self)
        self.traffic = NetCounters(self)

    def network_name(self, deployment_id: int) -> str:
        return networks.network_name(self.agent_id, deployment_id)

    async def create_network(
        self, deployment_id: int, pool: str, prefix: int, reserved: list[str]
    ) -> tuple[str, str]:
        return await self.call(
            lambda _c: networks.create_network(self, deployment_id, pool, prefix, reserved)
        )

    async def remove_networks(self, deployment_id: int) -> None:
        await self.call(lambda _c: networks.remove_networks(self, deployment_id))

    async def remove_volumes(self, deployment_id: int) -> None:
        await self.call(lambda _c: volumes.remove_volumes(self, deployment_id))

    async def network_owners(self) -> set[int | None]:
        found = await self.call(lambda c: c.networks.list(filters={"label": self.label_filter()}))
        raw = [(n.attrs.get("Labels") or {}).get(LABEL_DEPLOYMENT, "") for n in found]
        return {int(value) if value.isdigit() else None for value in raw}

    async def ensure_image(
        self,
        image: str,
        credentials: Iterable[RegistryCredential],
        progress: Callable[[str], None],
    ) -> None:
        await self.call(lambda _c: images.ensure_image(self, image, credentials, progress))

    async def image_present(self, image: str) -> bool:
        return await self.call(lambda _c: images.is_present(self, image))

    async def pull(self, image: str, credentials: Iterable[RegistryCredential]) -> None:
        await self.call(lambda _c: images.pull(self, image, credentials))

    async def start_service(
        self,
        *,
        deployment_id: int,
        step: str,
        image: str,
        network: str,
        env: dict[str, str],
        command: list[str] | str | None,
        port: int | None,
        publish_address: str,
        cpu: float | None,
        memory_mb: int | None,
        cap_add: Sequence[str] = (),
        cap_drop: Sequence[str] = (),
        user: str = "",
        host_port: int | None = None,
        volumes: Sequence[Volume] = (),
        entrypoint: list[str] | str | None = None,
    ) -> int | None:
        options = dict(
            deployment_id=deployment_id,
            step=step,
            image=image,
            network=network,
            env=env,
            command=command,
            port=port,
            publish_address=publish_address,
            cpu=cpu,
            memory_mb=memory_mb,
            cap_add=cap_add,
            cap_drop=cap_drop,
            user=user,
            host_port=host_port,
            volumes=volumes,
            entrypoint=entrypoint,
        )
        return await self.call(lambda _c: containers.start_service(self, **options))

    async def exited(self, deployment_id: int, step: str) -> str | None:
        name = containers.container_name(self.agent_id, deployment_id, step)
        state = await self.call(lambda c: c.api.inspect_container(name)["State"])
        if state.get("Running") and not state.get("Restarting"):
            return None
        logs = await self.call(
            lambda c: c.api.logs(name, tail=EXIT_LOG_LINES).decode(errors="replace")
        )
        code = state.get("ExitCode")
        return f"container exited (code {code}); last output: {logs.strip()[-500:] or '(none)'}"

    async def start_existing(self, container_id: str) -> None:
        await self.call(lambda _c: containers.start_existing(self, container_id))

    async def published_port(self, container_id: str, port: int) -> int | None:
        return await self.call(lambda _c: containers.published_port(self, container_id, port))

    async def list_own(self, deployment_id: int | None = None) -> list[OwnContainer]:
        return await self.call(lambda _c: containers.list_own(self, deployment_id))

    async def remove_containers(self, container_ids: list[str]) -> None:
        await self.call(lambda _c: containers.remove_containers(self, container_ids))

    async def stop_containers(self, container_ids: list[str]) -> None:
        await self.call(lambda _c: containers.stop_containers(self, container_ids))

    async def open_logs(
        self, container_id: str, *, tail: int, follow: bool, since: float, timestamps: bool
    ) -> Any:
        return await self.call(
            lambda _c: containers.open_logs(
                self, container_id, tail=tail, follow=follow, since=since, timestamps=timestamps
            )
        )

    async def exec_run(
        self, container_id: str, command: list[str], timeout_s: float, limit_bytes: int
    ) -> ExecOutput:
        return await self.call(
            lambda _c: run_exec(self, container_id, command, timeout_s, limit_bytes)
        )

    async def open_terminal(self, container_id: str, shell: str, cols: int, rows: int) -> Any:
        return await self.call(lambda _c: open_pty(self, container_id, shell, cols, rows))

    async def usage(self, container_ids: list[str]) -> dict[str, Usage]:
        return await asyncio.to_thread(self.stats.sample, container_ids)

    async def net_bytes(self, container_ids: list[str]) -> dict[str, int]:
        return await asyncio.to_thread(self.traffic.read, container_ids)

    async def run_plugin(
        self,
        *,
        deployment_id: int,
        step: str,
        action: Literal["apply", "rollback"],
        image: str,
        network: str | None,
        cpu: float | None,
        memory_mb: int | None,
        stdin_document: bytes,
        timeout_s: float,
        stderr: StderrLines,
        cancelled: threading.Event,
        stdin_ready: threading.Event | None = None,
        mounts: dict[str, str] | None = None,
    ) -> AttachedRun:
        # A run held at its stdin may wait for hours (the next reset's plugin): its own thread,
        # so held runs never take the shared pool's workers from every other Docker call.
        runner = asyncio.to_thread if stdin_ready is None else _in_own_thread
        return await runner(
            run_attached,
            self,
            name=f"shoal-{self.agent_id}-{deployment_id}-{step}-{action}",
            image=image,
            labels=self.labels(deployment_id, step),
            network=network,
            cpu=cpu,
            memory_mb=memory_mb,
            stdin_document=stdin_document,
            timeout_s=timeout_s,
            stderr=stderr,
            cancelled=cancelled,
            stdin_ready=stdin_ready,
            mounts=mounts,
        )


async def _in_own_thread(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    loop = asyncio.get_running_loop()
    future: asyncio.Future[Any] = loop.create_future()

    def settle(outcome: Any, failed: bool) -> None:
        if future.done():  # the awaiting task was cancelled meanwhile
            return
        if failed:
            future.set_exception(outcome)
        else:
            future.set_result(outcome)

    def target() -> None:
        try:
            outcome, failed = function(*args, **kwargs), False
        except BaseException as error:
            outcome, failed = error, True
        try:
            loop.call_soon_threadsafe(settle, outcome, failed)
        except RuntimeError:  # the loop closed (the agent stops): no one waits any more
            pass

    threading.Thread(target=target, name="held-plugin-run", daemon=True).start()
    return await future
