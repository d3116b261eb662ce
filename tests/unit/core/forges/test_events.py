"""Forge payloads (GitHub's published examples, GitLab's and Gitea's documented ones, vendored
under tests/data/forges) become one internal event; signatures are checked per forge."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

import pytest

from core.forges import events

DATA = Path(__file__).parents[4] / "tests" / "data" / "forges"
SECRET = "It's a Secret to Everybody"


def payload(path: str) -> dict:
    return json.loads((DATA / path).read_text())


@pytest.mark.parametrize(
    ("forge", "event", "path", "kind", "number"),
    [
        ("github", "pull_request", "github/pull_request.opened.json", "opened", 2),
        ("github", "pull_request", "github/pull_request.reopened.json", "opened", 2),
        ("github", "pull_request", "github/pull_request.synchronize.json", "updated", 2),
        ("github", "pull_request", "github/pull_request.closed.json", "closed", 2),
        ("gitlab", "Merge Request Hook", "gitlab/merge_request.open.json", "opened", 1),
        ("gitlab", "Merge Request Hook", "gitlab/merge_request.update.json", "updated", 1),
        ("gitlab", "Merge Request Hook", "gitlab/merge_request.merge.json", "closed", 1),
        ("gitea", "pull_request", "gitea/pull_request.opened.json", "opened", 12),
        ("gitea", "pull_request", "gitea/pull_request.synchronized.json", "updated", 12),
        ("gitea", "pull_request", "gitea/pull_request.closed.json", "closed", 12),
    ],
)
def test_pull_request_payloads_become_one_internal_event(forge, event, path, kind, number):
    parsed = events.parse(forge, event, payload(path))
    assert parsed is not None
    assert (parsed.kind, parsed.ref.number) == (kind, number)
    assert parsed.ref.head_sha and parsed.ref.branch and parsed.ref.author
    assert parsed.ref.is_fork is False
    assert parsed.repository == events.repository_of(forge, payload(path))


def test_the_github_example_carries_what_the_preview_needs():
    parsed = events.parse("github", "pull_request", payload("github/pull_request.opened.json"))
    assert parsed.repository == "Codertocat/Hello-World"
    assert parsed.ref.branch == "changes" and parsed.ref.author == "Codertocat"
    assert parsed.ref.head_sha == "ec26c3e57ca3a959ca5aad62de7213c562f8c821"
    assert parsed.ref.url == "https://github.com/Codertocat/Hello-World/pull/2"


def test_a_pull_request_from_another_repository_is_a_fork():
    data = payload("github/pull_request.opened.json")
    data["pull_request"]["head"]["repo"]["full_name"] = "stranger/Hello-World"
    assert events.parse("github", "pull_request", data).ref.is_fork is True
    data["pull_request"]["head"]["repo"] = None  # the fork was deleted
    assert events.parse("github", "pull_request", data).ref.is_fork is True
    gitlab = payload("gitlab/merge_request.open.json")
    gitlab["object_attributes"]["source_project_id"] = 99
    assert events.parse("gitlab", "Merge Request Hook", gitlab).ref.is_fork is True


@pytest.mark.parametrize(
    ("forge", "event", "data"),
    [
        ("github", "push", payload("github/push.json")),
        ("github", "issues", payload("github/issues.json")),
        (
            "github",
            "pull_request",
            {**payload("github/pull_request.opened.json"), "action": "labeled"},
        ),
        ("github", "pull_request", ["not", "an", "object"]),
        ("github", "pull_request", {"action": "opened"}),
        ("gitlab", "Push Hook", payload("gitlab/merge_request.open.json")),
        ("gitea", "issues", payload("gitea/pull_request.opened.json")),
    ],
)
def test_other_events_and_actions_are_ignored(forge, event, data):
    assert events.parse(forge, event, data) is None


def test_a_gitlab_update_without_new_commits_is_ignored():
    data = payload("gitlab/merge_request.update.json")
    del data["object_attributes"]["oldrev"]
    assert events.parse("gitlab", "Merge Request Hook", data) is None


def test_signatures_per_forge():
    body = (DATA / "github/pull_request.opened.json").read_bytes()
    digest = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert events.signature_ok("github", {"x-hub-signature-256": f"sha256={digest}"}, body, SECRET)
    assert not events.signature_ok(
        "github", {"x-hub-signature-256": f"sha256={digest}"}, body + b" ", SECRET
    )
    assert not events.signature_ok("github", {}, body, SECRET)
    assert not events.signature_ok("github", {"x-hub-signature-256": f"sha256={digest}"}, body, "")
    assert events.signature_ok("gitea", {"x-gitea-signature": digest}, body, SECRET)
    assert events.signature_ok("gitea", {"x-forgejo-signature": digest}, body, SECRET)
    assert not events.signature_ok("gitea", {"x-gitea-signature": "0" * 64}, body, SECRET)
    assert events.signature_ok("gitlab", {"x-gitlab-token": SECRET}, body, SECRET)
    assert not events.signature_ok("gitlab", {"x-gitlab-token": SECRET + "x"}, body, SECRET)


def test_delivery_ids_come_from_the_forge_or_the_body():
    assert events.delivery_id("github", {"x-github-delivery": "abc"}, b"{}") == "abc"
    assert events.delivery_id("gitlab", {"x-gitlab-event-uuid": "u-1"}, b"{}") == "u-1"
    assert events.delivery_id("gitea", {"x-gitea-delivery": "g-1"}, b"{}") == "g-1"
    assert events.delivery_id("gitea", {}, b"{}") == events.delivery_id("gitea", {}, b"{}")
    assert events.delivery_id("gitea", {}, b"{}") != events.delivery_id("gitea", {}, b"[]")
