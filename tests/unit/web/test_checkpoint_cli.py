"""`shoal checkpoint` against a fake Shoal API: which requests it sends and what it says."""

from __future__ import annotations

import io
import json

import httpx
import pytest

from web.checkpoint_cli import run
from web.ci_client import ClientError, ShoalClient
from web.cli import build_parser


def args_of(*argv: str):
    """`shoal checkpoint ARGV --project shop --name pr-42`, parsed by shoal's own parser."""
    return build_parser().parse_args(["checkpoint", *argv, "--project", "shop", "--name", "pr-42"])


DATABASES = [
    {
        "step": "appdb",
        "database": "app_pr_42",
        "used_bytes": 2097152,
        "checkpoints": [
            {
                "id": 7,
                "step": "appdb",
                "name": "before",
                "created_by": "ci",
                "created_at": "2026-11-30T00:00:00Z",
                "size_bytes": 2097152,
            }
        ],
    }
]


def fake(seen: list[tuple[str, str, object]], databases=DATABASES) -> ShoalClient:
    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else None
        seen.append((request.method, request.url.path, body))
        path = request.url.path
        if path == "/api/v1/projects":
            return httpx.Response(200, json=[{"id": 3, "name": "shop"}])
        if path == "/api/v1/deployments":
            return httpx.Response(
                200,
                json=[{"id": 9, "name": "pr-42", "status": "running", "environment_name": "qa"}],
            )
        if path == "/api/v1/deployments/9/databases":
            return httpx.Response(200, json=databases)
        if path.endswith(("/reset", "/reset-seed")):
            return httpx.Response(200, json={"duration_s": 0.42, "checkpoint": "before"})
        if request.method == "POST":
            return httpx.Response(201, json={"name": body["name"]})
        return httpx.Response(204)

    return ShoalClient("http://shoal.test", "t0ken", transport=httpx.MockTransport(handler))


def test_reset_finds_the_checkpoint_by_name_and_posts_its_reset():
    seen: list = []
    out = io.StringIO()
    assert run(fake(seen), args_of("reset", "before"), out) == 0
    assert seen[-1][:2] == ("POST", "/api/v1/deployments/9/checkpoints/7/reset")
    assert out.getvalue() == "reset appdb to before in 0.4 s\n"


def test_save_posts_the_name_to_the_only_database():
    seen: list = []
    assert run(fake(seen), args_of("save", "after seed"), io.StringIO()) == 0
    assert seen[-1] == (
        "POST",
        "/api/v1/deployments/9/databases/appdb/checkpoints",
        {"name": "after seed"},
    )


def test_list_prints_one_line_per_checkpoint():
    out = io.StringIO()
    assert run(fake([]), args_of("list"), out) == 0
    assert out.getvalue() == "appdb\tbefore\tci\t2026-11-30T00:00:00Z\t2.0 MB\n"


def test_an_unknown_checkpoint_or_an_unnamed_database_is_a_clear_error():
    with pytest.raises(ClientError, match="appdb has no checkpoint 'nope'"):
        run(fake([]), args_of("reset", "nope"), io.StringIO())
    two = [*DATABASES, {**DATABASES[0], "step": "other"}]
    with pytest.raises(ClientError, match=r"say which database with --database \(appdb, other\)"):
        run(fake([], two), args_of("save", "x"), io.StringIO())
    with pytest.raises(ClientError, match="name the checkpoint"):
        run(fake([]), args_of("save"), io.StringIO())


def test_reset_to_the_seeded_state():
    seen: list = []
    out = io.StringIO()
    args = args_of("reset", "--seed", "--database", "appdb")
    assert run(fake(seen), args, out) == 0
    assert seen[-1][:2] == ("POST", "/api/v1/deployments/9/databases/appdb/reset-seed")
    assert out.getvalue() == "reset appdb to its seeded state in 0.4 s\n"
    for argv in (
        ("reset", "--seed"),
        ("save", "--seed", "--database", "appdb"),
        ("reset", "x", "--seed", "--database", "appdb"),
    ):
        with pytest.raises(ClientError, match="--seed goes with reset"):
            run(fake([]), args_of(*argv), io.StringIO())
