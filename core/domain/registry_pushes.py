"""Registry pushes as one shape, whichever registry told us: Docker's distribution
notifications (Debian's `docker-registry`, GitLab's self-managed container registry, Harbor…),
Docker Hub webhooks, and the generic POST any CI can send.

A push is (repository, tag); a rule follows an image repository and reads the pull request
number (or branch, or commit) back out of the pushed tag through its tag template, so
`pr-{number}` takes `pr-7` to PR 7 and ignores `latest`.
"""

from __future__ import annotations

import re
import string

import msgspec

from core.domain.previews import PreviewRef
from core.domain.tags import check_tag
from core.errors import InvalidInput

# Manifests carry the tag; a notification for each layer blob comes too, without one.
MANIFEST_TYPES = ("manifest", "image.index", "manifest.list")
_PARTS = {
    "number": r"(?P<number>[0-9]{1,9})",
    "sha7": r"(?P<sha7>[0-9a-f]{7})",
    "sha": r"(?P<sha>[0-9a-f]{7,64})",
    "branch": r"(?P<branch>[A-Za-z0-9_][A-Za-z0-9_.-]*)",
}


class Push(msgspec.Struct, frozen=True, kw_only=True):
    repository: str  # path in its registry: shop/web
    tag: str
    host: str = ""  # the registry's host[:port] as the notifier names it ("" = not said)
    digest: str = ""
    event_id: str = ""  # the notifier's id of this event, when it has one


class _Target(msgspec.Struct):
    repository: str = ""
    tag: str = ""
    digest: str = ""
    mediaType: str = ""  # the notification's own field name


class _Request(msgspec.Struct):
    host: str = ""


class _Event(msgspec.Struct):
    id: str = ""
    action: str = ""
    target: _Target = msgspec.field(default_factory=_Target)
    request: _Request = msgspec.field(default_factory=_Request)


class _Envelope(msgspec.Struct):
    events: list[_Event] = []


class _HubPushData(msgspec.Struct):
    tag: str = ""


class _HubRepository(msgspec.Struct):
    repo_name: str = ""


class _HubHook(msgspec.Struct):
    push_data: _HubPushData = msgspec.field(default_factory=_HubPushData)
    repository: _HubRepository = msgspec.field(default_factory=_HubRepository)


def _decode(body: bytes, shape: type) -> object:
    try:
        return msgspec.json.decode(body, type=shape)
    except msgspec.DecodeError as exc:
        raise InvalidInput(f"Not a notification this endpoint reads: {exc}", "body") from None


def from_distribution(body: bytes) -> list[Push]:
    """The tagged manifest pushes of a distribution notification envelope; pulls, deletes
    and layer uploads are left out."""
    envelope = _decode(body, _Envelope)
    assert isinstance(envelope, _Envelope)
    pushes = []
    for event in envelope.events:
        target = event.target
        manifest = any(kind in target.mediaType for kind in MANIFEST_TYPES)
        if event.action != "push" or not target.tag or not target.repository or not manifest:
            continue
        pushes.append(
            Push(
                repository=target.repository,
                tag=target.tag,
                host=event.request.host,
                digest=target.digest,
                event_id=event.id,
            )
        )
    return pushes


def from_docker_hub(body: bytes) -> list[Push]:
    hook = _decode(body, _HubHook)
    assert isinstance(hook, _HubHook)
    if not hook.repository.repo_name or not hook.push_data.tag:
        raise InvalidInput("A Docker Hub push names repository.repo_name and push_data.tag.")
    return [Push(repository=hook.repository.repo_name, tag=hook.push_data.tag, host="docker.io")]


def checked(repository: str, tag: str, digest: str = "") -> Push:
    """A push described by hand (the generic endpoint): refused when it names no image."""
    repository = repository.strip().strip("/")
    if not repository or any(c.isspace() for c in repository):
        raise InvalidInput("Name the image repository, e.g. shop/web.", "repository")
    return Push(repository=repository, tag=check_tag(tag.strip(), "tag"), digest=digest)


def path_of(repository: str) -> str:
    """`registry.example.com:5000/shop/web` → `shop/web`; `shop/web` stays as it is (a first
    segment is a host when it has a dot or a port, or is `localhost`, as Docker reads it)."""
    first, sep, rest = repository.strip().strip("/").partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        return rest
    return repository.strip().strip("/")


def follows(rule_repository: str, push: Push) -> bool:
    """Does a rule naming `rule_repository` (with or without its registry's host) follow this
    push? With a host, the push must come from that host when the notifier says which."""
    wanted = rule_repository.strip().strip("/").lower()
    if path_of(wanted) != path_of(push.repository).lower():
        return False
    host = wanted.removesuffix(path_of(wanted)).rstrip("/")
    return not host or not push.host or host == push.host.lower()


def read_tag(template: str, tag: str) -> dict[str, str] | None:
    """The placeholder values `tag` was rendered with from `template`, or None when the tag
    is not one of its renderings (`pr-{number}` reads `pr-7` as {number: 7}, not `latest`)."""
    pattern, seen = "", set()
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError:
        return None
    for literal, name, _, _ in parsed:
        pattern += re.escape(literal)
        if name is None:
            continue
        if name not in _PARTS:
            return None
        # A placeholder used twice must read the same both times.
        pattern += f"(?P={name})" if name in seen else _PARTS[name]
        seen.add(name)
    found = re.fullmatch(pattern, tag)
    return found.groupdict() if found else None


def ref_for(rule: dict, push: Push) -> PreviewRef | None:
    """The pull request a pushed tag stands for under this rule, with that tag for the
    services whose template reads it; None when no template reads it with a number."""
    read = {
        node_id: values
        for node_id, template in (rule["tag_templates"] or {}).items()
        if (values := read_tag(template, push.tag)) is not None
    }
    numbered = [values for values in read.values() if "number" in values]
    if not numbered:
        return None
    values = numbered[0]
    return PreviewRef(
        number=int(values["number"]),
        branch=values.get("branch", ""),
        head_sha=values.get("sha") or values.get("sha7", ""),
        # Only the services whose template reads this same number get the pushed tag (a
        # `{branch}` template reads any tag; the others render from the ref).
        tags={
            node: push.tag for node, got in read.items() if got.get("number") == values["number"]
        },
    )
