"""An agent's `plugin_images` report → its node row (nodes.plugin_images, by image reference),
read by the plugin page; then a `plugin_images` event on the node's topic."""

from __future__ import annotations

import datetime

from agent import protocol as p
from core import events
from core.tables import Node

MAX_IMAGES = 1000  # more than any catalog holds: a report beyond it is cut, not stored whole


async def record_plugin_images(node_id: int, report: p.PluginImages) -> None:
    at = datetime.datetime.now(datetime.UTC).isoformat()
    images = {
        state.image[:512]: {
            "name": state.name[:63],
            "state": state.state,
            "error": state.error[:1000],
            "at": at,
        }
        for state in report.images[:MAX_IMAGES]
    }
    await Node.update({Node.plugin_images: images}).where(Node.id == node_id).run()
    await events.publish(f"node:{node_id}", kind="plugin_images", node_id=node_id)
