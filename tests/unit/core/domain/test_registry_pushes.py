"""Registry pushes read from each notifier's own format (the envelope below is the shape
distribution 2.8 sends, as documented in its notifications.md and seen from Debian's
docker-registry in tests/integration/web/test_registry_previews.py)."""

from __future__ import annotations

import json

import pytest

from core.domain import registry_pushes as pushes
from core.errors import InvalidInput

MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"


def event(action: str, media_type: str, tag: str = "", repository: str = "shop/web") -> dict:
    return {
        "id": f"ev-{action}-{tag or 'blob'}",
        "timestamp": "2026-11-29T23:10:00.000000000Z",
        "action": action,
        "target": {
            "mediaType": media_type,
            "size": 527,
            "digest": "sha256:" + "a" * 64,
            "length": 527,
            "repository": repository,
            "url": f"http://127.0.0.1:5000/v2/{repository}/manifests/sha256:{'a' * 64}",
            **({"tag": tag} if tag else {}),
        },
        "request": {
            "id": "r1",
            "addr": "127.0.0.1:40000",
            "host": "127.0.0.1:5000",
            "method": "PUT",
            "useragent": "docker/20.10",
        },
        "actor": {"name": "ci"},
        "source": {"addr": "host:5000", "instanceID": "i1"},
    }


def test_only_tagged_manifest_pushes_count():
    body = json.dumps(
        {
            "events": [
                event("push", LAYER),
                event("push", MANIFEST, "pr-7"),
                event("pull", MANIFEST, "pr-6"),
                event("delete", MANIFEST, "pr-5"),
            ]
        }
    ).encode()
    assert pushes.from_distribution(body) == [
        pushes.Push(
            repository="shop/web",
            tag="pr-7",
            host="127.0.0.1:5000",
            digest="sha256:" + "a" * 64,
            event_id="ev-push-pr-7",
        )
    ]


def test_malformed_notifications_are_refused_with_a_reason():
    for body in (b"{not json", b'{"events": "many"}', b"[]"):
        with pytest.raises(InvalidInput):
            pushes.from_distribution(body)
    assert pushes.from_distribution(b'{"events": []}') == []


def test_docker_hub_webhook():
    body = {
        "callback_url": "https://registry.hub.docker.com/u/acme/web/hook/2141b5bi5i5b02bec211/",
        "push_data": {"pushed_at": 1417566161, "pusher": "trustedbuilder", "tag": "pr-42"},
        "repository": {"repo_name": "acme/web", "name": "web", "namespace": "acme"},
    }
    assert pushes.from_docker_hub(json.dumps(body).encode()) == [
        pushes.Push(repository="acme/web", tag="pr-42", host="docker.io")
    ]
    with pytest.raises(InvalidInput):
        pushes.from_docker_hub(b'{"push_data": {}}')


def test_a_rule_follows_its_repository_with_or_without_the_host():
    push = pushes.Push(repository="shop/web", tag="pr-7", host="127.0.0.1:5000")
    assert pushes.follows("shop/web", push)
    assert pushes.follows("127.0.0.1:5000/shop/web", push)
    assert pushes.follows("Shop/Web", push)
    assert not pushes.follows("registry.example.com/shop/web", push)
    assert not pushes.follows("shop/api", push)
    assert not pushes.follows("shop", push)
    unsaid = pushes.Push(repository="shop/web", tag="pr-7")  # the generic POST names no host
    assert pushes.follows("registry.example.com/shop/web", unsaid)


def test_the_pull_request_is_read_back_out_of_the_tag():
    assert pushes.read_tag("pr-{number}", "pr-7") == {"number": "7"}
    assert pushes.read_tag("pr-{number}", "latest") is None
    assert pushes.read_tag("pr-{number}", "pr-7x") is None
    assert pushes.read_tag("pr-{number}-{sha7}", "pr-12-1a2b3c4") == {
        "number": "12",
        "sha7": "1a2b3c4",
    }
    assert pushes.read_tag("{branch}", "features-login") == {"branch": "features-login"}
    assert pushes.read_tag("v1.{number}", "v1x7") is None  # the dot is literal
    assert pushes.read_tag("{nope}", "x") is None
    assert pushes.read_tag("pr-{number", "pr-7") is None


def test_a_hand_described_push_is_checked():
    assert pushes.checked(" shop/web/ ", "pr-1") == pushes.Push(repository="shop/web", tag="pr-1")
    with pytest.raises(InvalidInput, match="'/' is not allowed"):
        pushes.checked("shop/web", "feature/login")
    with pytest.raises(InvalidInput):
        pushes.checked("", "pr-1")


def test_a_pushed_tag_becomes_the_pull_request_of_its_number():
    rule = {"tag_templates": {"web": "pr-{number}", "api": "pr-{number}", "docs": "{branch}"}}
    ref = pushes.ref_for(rule, pushes.Push(repository="shop/web", tag="pr-7"))
    assert ref is not None
    assert (ref.number, ref.tags) == (7, {"web": "pr-7", "api": "pr-7"})  # not docs' {branch}
    assert pushes.ref_for(rule | {"tag_templates": {"docs": "{branch}"}},
                   pushes.Push(repository="shop/web", tag="pr-7")) is None  # fmt: skip
    sha = pushes.ref_for({"tag_templates": {"web": "pr-{number}-{sha7}"}},
                  pushes.Push(repository="shop/web", tag="pr-3-1a2b3c4"))  # fmt: skip
    assert sha is not None and (sha.number, sha.head_sha) == (3, "1a2b3c4")
