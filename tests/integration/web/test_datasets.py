"""Datasets of a project through the real app and database (issue 24): an upload is stored by
its sha256 and a second one becomes version 2; a URL is fetched; what is not a dump, too big,
unreachable or an HTML page is refused with a clear message and nothing is kept; a name a live
deployment seeds from cannot be deleted; the page lists, fetches and keeps a refused form."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from core.actor import Actor
from core.services import projects
from core.tables import AuditEvent, Dataset
from shoaltest.ports import free_port
from shoaltest.web import ADMIN_PASSWORD, api_client

DUMP = b"PGDMP\x01\x0f\x00\x04\x08\x01\x01" + b"\x00rows" * 1000
PLAIN = b"--\n-- PostgreSQL database dump\n--\nCREATE TABLE t (id int);\n"
HTML = b"<!DOCTYPE html><html><body>Please sign in</body></html>"


@pytest.fixture
def files() -> Iterator[str]:
    """A loopback HTTP server: /dump.pgc, /login (HTML), /gone (404)."""
    answers = {
        "/dump.pgc": (200, "application/octet-stream", DUMP),
        "/login": (200, "text/html", HTML),
    }

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, kind, body = answers.get(self.path, (404, "text/plain", b"not here"))
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
async def project_id(admin) -> int:
    actor = Actor(id=admin.id, username=admin.username, is_admin=True)
    return (await projects.create_project(actor, projects.ProjectInput(name="shop"))).id


@pytest.fixture
def data_dir(tmp_path: Path, settings_of) -> Path:
    settings_of(data_dir=str(tmp_path), dataset_max_mb=1)
    return tmp_path


def stored(data_dir: Path) -> list[str]:
    return sorted(p.name for p in (data_dir / "datasets").glob("*") if p.is_file())


async def test_upload_fetch_versions_and_refusals(web_app, admin, project_id, data_dir, files):
    api = await api_client(web_app, admin)
    async with api:
        url = f"/api/v1/projects/{project_id}/datasets"
        first = await api.put(f"{url}/seed", content=DUMP)
        assert first.status_code == 201, first.text
        body = first.json()
        assert body["sha256"] == hashlib.sha256(DUMP).hexdigest()
        assert (body["version"], body["format"], body["size_bytes"]) == (1, "custom", len(DUMP))
        assert (data_dir / "datasets" / body["sha256"]).read_bytes() == DUMP

        second = await api.put(f"{url}/seed", content=PLAIN)
        assert (second.json()["version"], second.json()["format"]) == (2, "plain")
        fetched = await api.post(
            f"{url}/fetch", json={"name": "remote", "url": f"{files}/dump.pgc"}
        )
        assert fetched.status_code == 201, fetched.text
        assert fetched.json()["source"] == f"{files}/dump.pgc"
        assert fetched.json()["sha256"] == body["sha256"]  # the same file, kept once
        assert len(stored(data_dir)) == 2

        refusals = [
            (api.put(f"{url}/bad", content=HTML), "HTML"),
            (api.put(f"{url}/bad", content=b"just words\n"), "not a PostgreSQL dump"),
            (api.put(f"{url}/bad", content=b"PGDMP" + b"x" * (1024 * 1024)), "larger than"),
            (api.put(f"{url}/bad?sha256={'0' * 64}", content=DUMP), "not the"),
            (api.put(f"{url}/Bad Name", content=DUMP), "lowercase"),
            (api.post(f"{url}/fetch", json={"name": "bad", "url": f"{files}/login"}), "HTML"),
            (api.post(f"{url}/fetch", json={"name": "bad", "url": f"{files}/gone"}), "404"),
            (
                api.post(
                    f"{url}/fetch", json={"name": "bad", "url": f"http://127.0.0.1:{free_port()}/x"}
                ),
                "Could not fetch",
            ),
        ]
        for call, words in refusals:
            answer = await call
            assert answer.status_code == 422, answer.text
            assert words in answer.json()["detail"]
        assert len(stored(data_dir)) == 2
        assert not list((data_dir / "datasets" / "incoming").glob("*"))
        assert not await Dataset.exists().where(Dataset.name == "bad").run()

        listed = (await api.get(url)).json()
        assert [(d["name"], d["version"]) for d in listed] == [
            ("remote", 1),
            ("seed", 2),
            ("seed", 1),
        ]
        assert (await api.delete(f"{url}/seed")).status_code == 204
        assert [d["name"] for d in (await api.get(url)).json()] == ["remote"]
        assert len(stored(data_dir)) == 1  # the plain dump went; the custom one "remote" keeps
        actions = await AuditEvent.select(AuditEvent.action, AuditEvent.outcome).run()
        assert {"action": "dataset.delete", "outcome": "ok"} in actions
        assert {"action": "dataset.create", "outcome": "refused"} in actions


async def test_users_without_admin_cannot_add(web_app, admin, project_id, data_dir, client):
    from core.services import accounts

    user = await accounts.create_user(
        Actor.system("tests"), username="qa", password="qa-password-1", is_admin=False
    )
    api = await api_client(web_app, user)
    async with api:
        answer = await api.put(f"/api/v1/projects/{project_id}/datasets/seed", content=DUMP)
        assert answer.status_code == 404  # the project is not even visible to them
    assert stored(data_dir) == []


async def test_page_fetches_and_keeps_a_refused_form(admin, project_id, data_dir, files, client):
    await client.login("admin", ADMIN_PASSWORD)
    page = await client.page(f"/projects/{project_id}/datasets")
    assert page.status_code == 200 and "No datasets yet" in page.text
    refused = await client.form(
        f"/projects/{project_id}/datasets/fetch", {"name": "seed", "url": f"{files}/login"}
    )
    assert refused.status_code == 422
    assert "HTML" in refused.text and f'value="{files}/login"' in refused.text
    done = await client.form(
        f"/projects/{project_id}/datasets/fetch", {"name": "seed", "url": f"{files}/dump.pgc"}
    )
    assert done.status_code == 303
    listed = await client.page(f"/projects/{project_id}/datasets")
    assert hashlib.sha256(DUMP).hexdigest()[:12] in listed.text
    gone = await client.form(f"/projects/{project_id}/datasets/seed/delete", {})
    assert gone.status_code == 303
    assert stored(data_dir) == []


async def test_a_step_naming_a_dataset_the_project_lacks_cannot_be_built(
    admin, project_id, data_dir
):
    from datetime import UTC, datetime

    from agent import protocol as p
    from core.domain import pipeline as graphs
    from core.errors import Conflict
    from core.services import dataset_nodes

    schema = {"x-dataset-params": ["dataset"]}
    node = {"id": "appdb", "kind": "plugin", "config": {"plugin_id": 5, "params": {"dataset": "x"}}}
    graph = graphs.decode({"nodes": [node], "edges": []})
    nodes = [p.PluginNode(id="appdb", image="p/restore:1")]
    with pytest.raises(Conflict, match="seeds from dataset 'x', which the project did not have"):
        await dataset_nodes.attach_datasets(
            project_id, datetime.now(UTC), graph, {5: {"param_schema": schema}}, nodes
        )
    assert nodes[0].config.dataset is None
