"""Node offline / back online reach admins' channels once per outage (a reconnect loop that
keeps failing, or a node that never connected, says nothing); shown here on a Teams channel,
whose message is one Adaptive Card."""

from __future__ import annotations

import json

from core.hub import events as hub_events
from core.notifications import channels, delivery, fanout, outbox
from core.notifications.channels import ChannelInput
from core.tables import Node, NotificationDelivery, NotificationEvent
from shoaltest.db import insert_row
from shoaltest.receivers import http_receiver


async def _send_all() -> None:
    await fanout.dispatch()
    for row in await NotificationDelivery.select(NotificationDelivery.id).run():
        await delivery.deliver(row["id"])


async def test_an_outage_is_told_once_and_its_end_once(scene):
    node = await insert_row(
        Node(environment=scene.env_id, name="n1", host="127.0.0.1", port=5001, status="online")
    )
    never = await insert_row(
        Node(environment=scene.env_id, name="n2", host="127.0.0.1", port=5002, status="offline")
    )
    with http_receiver() as receiver:
        await channels.create_channel(
            scene.admin,
            ChannelInput(
                name="ops",
                kind="teams",
                url=receiver.url,
                environment_id=scene.env_id,
                events=["node_offline", "node_online"],
            ),
        )
        await hub_events.mark_node_offline(node, "offline", "cannot connect: refused")
        await hub_events.mark_node_offline(node, "offline", "cannot connect: timed out")
        await hub_events.mark_node_offline(never, "offline", "cannot connect: refused")
        await Node.update({Node.status: "online"}).where(Node.id == node).run()
        assert await outbox.node_came_back(node)
        assert not await outbox.node_came_back(node)  # a second handshake: nothing new
        assert not await outbox.node_came_back(never)
        await _send_all()
        bodies = [json.loads(r.body) for r in await receiver.wait_for(2)]
    kinds = await NotificationEvent.select(NotificationEvent.kind).order_by(NotificationEvent.id)
    assert [row["kind"] for row in kinds] == ["node_offline", "node_online"]
    cards = [body["attachments"][0]["content"] for body in bodies]
    assert [card["type"] for card in cards] == ["AdaptiveCard", "AdaptiveCard"]
    titles = [card["body"][0]["text"] for card in cards]
    assert titles == ["Node n1 (qa) went offline", "Node n1 (qa) is back online"]
    assert "cannot connect: refused" in json.dumps(cards[0])
    assert cards[0]["actions"][0]["url"] == f"http://shoal.test:8000/nodes/{node}"
