"""`GET /ingress-wake` as Caddy calls it for a sleeping deployment's host (issue 20), on the
real app and database: a node without room gets a clear page that refreshes rarely, an API
client the same as JSON with Retry-After, an unknown deployment (or a Host that is not one of
its own: Shoal's address called directly) a 404. (Waking through the real Caddy and agent:
ingress/test_wake_on_request.py.)"""

from __future__ import annotations

from core.tables import Deployment, Environment, Node
from shoaltest.db import insert_row

HTML = {"Accept": "text/html"}
HOST = "web.pr-42.qa.qa.example.test"


async def _sleeping_on_a_full_node() -> int:
    env = await insert_row(Environment(name="qa", base_domain="qa.example.test"))
    node = await insert_row(
        Node(
            environment=env,
            name="n1",
            host="127.0.0.1",
            port=5001,
            status="online",
            capacity={"cpus": 2, "memory_mb": 1024},
            usage={"cpu_busy_percent": 0, "memory_available_mb": 1024},
        )
    )
    await insert_row(  # holds the whole node
        Deployment(
            environment=env, node=node, name="big", status="running", cpu=2.0, memory_mb=1024
        )
    )
    return await insert_row(
        Deployment(
            environment=env,
            node=node,
            name="pr-42",
            status="sleeping",
            cpu=1.0,
            memory_mb=512,
            ports={"web": 30001},
        )
    )


async def test_no_room_gets_a_clear_page_and_the_deployment_stays_asleep(client):
    deployment_id = await _sleeping_on_a_full_node()
    sent = {"X-Shoal-Deployment": str(deployment_id), "Host": f"{HOST}:8880"}

    page = await client.get("/ingress-wake", headers={**HTML, **sent})
    api = await client.get("/ingress-wake", headers={"Accept": "application/json", **sent})

    assert page.status_code == 503 and page.headers["retry-after"] == "30"
    assert "pr-42 cannot wake up now" in page.text and "No room on node n1" in page.text
    assert '<meta http-equiv="refresh" content="30">' in page.text
    assert api.status_code == 503 and api.headers["retry-after"] == "30"
    assert api.json()["status_code"] == 503 and "No room on node n1" in api.json()["detail"]
    row = await Deployment.select(Deployment.status, Deployment.error).where(
        Deployment.id == deployment_id
    )
    assert row[0]["status"] == "sleeping" and "No room on node n1" in row[0]["error"]


async def test_an_unknown_deployment_or_another_host_wakes_nothing(client, db):
    deployment_id = await _sleeping_on_a_full_node()
    for headers in (
        {},
        {"X-Shoal-Deployment": "999", "Host": HOST},
        {"X-Shoal-Deployment": "x", "Host": HOST},
        # Shoal's own address with a made-up header: not one of the deployment's hosts.
        {"X-Shoal-Deployment": str(deployment_id)},
        {"X-Shoal-Deployment": str(deployment_id), "Host": "api.pr-42.qa.qa.example.test"},
    ):
        answer = await client.get("/ingress-wake", headers={**HTML, **headers})
        assert answer.status_code == 404 and "refresh" not in answer.text, headers
    row = await Deployment.select(Deployment.error).where(Deployment.id == deployment_id)
    assert row[0]["error"] == ""  # no wake was even tried
