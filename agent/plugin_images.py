"""The catalog's plugin images kept ready on this node. The control plane sends the plugin list
in `sync` and again in `plugins` whenever it changes; each image the node lacks is pulled in the
background, one at a time, with the registry credential sent beside it, and the node reports
every image's state in a `plugin_images` event: present, pulling, or failed with the reason.

Failed pulls are tried again on the next list (every `sync` and `plugins`). A pipeline step
still pulls its own image when it runs (runtime.images), so an image that cannot be had here
fails that step with dockerd's reason too. Credentials stay in memory: the store keeps only the
plugins' names and images, for whoever looks at the node's disk.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Literal

import msgspec
from msgspec import Struct

from agent.engine import Engine
from agent.protocol import PluginImages, PluginImageState, PluginInfo
from agent.runtime import APIError, DockerUnavailable
from agent.runtime.images import ImagePullError
from agent.store import Store

log = logging.getLogger(__name__)

ERROR_LIMIT = 1000  # characters of dockerd's reason kept per image
PULL_ERRORS = (ImagePullError, APIError, DockerUnavailable, OSError)


class PluginImageKeeper:
    def __init__(self, engine: Engine, emit: Callable[[Struct], None], store: Store) -> None:
        self.engine, self.emit, self.store = engine, emit, store
        self.plugins: list[PluginInfo] = []
        self.states: dict[str, tuple[Literal["present", "pulling", "failed"], str]] = {}
        self._again = asyncio.Event()
        self._task: asyncio.Task | None = None

    def update(self, plugins: list[PluginInfo]) -> None:
        """Take the catalog's plugin list; the images are checked and pulled in the background."""
        self.plugins = list(plugins)
        kept = [{"name": p.name, "image": p.image} for p in plugins]  # never the credentials
        self.store.set_meta("plugins", msgspec.json.encode(kept).decode())
        self._again.set()
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._work(), name="plugin-images")

    def report(self) -> PluginImages:
        images = []
        for plugin in self.plugins:
            state, error = self.states.get(plugin.image, ("pulling", ""))
            images.append(
                PluginImageState(name=plugin.name, image=plugin.image, state=state, error=error)
            )
        return PluginImages(images=images)

    async def _work(self) -> None:
        while self._again.is_set():  # a list that arrives during a pass gets a pass of its own
            self._again.clear()
            try:
                wanted = {p.image: p for p in self.plugins}
                self.states = {i: s for i, s in self.states.items() if i in wanted}
                for plugin in wanted.values():
                    await self._ensure(plugin)
            except Exception:  # a bug here must not stop the next list from being handled
                log.exception("plugin images: checking the list failed")
            self.emit(self.report())

    async def _ensure(self, plugin: PluginInfo) -> None:
        image = plugin.image
        credentials = [plugin.credentials] if plugin.credentials else []
        try:
            if not await self.engine.image_present(image):
                self.states[image] = ("pulling", "")
                self.emit(self.report())
                await self.engine.pull(image, credentials)
                log.info("plugin image %s pulled", image)
            self.states[image] = ("present", "")
        except PULL_ERRORS as error:
            reason = (str(error) or type(error).__name__)[:ERROR_LIMIT]
            log.warning("plugin image %s not pulled: %s", image, reason)
            self.states[image] = ("failed", reason)
