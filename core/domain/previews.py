"""Previews as pure rules: what one pull request (or pushed tag) is (`PreviewRef`), how a rule's
templates render its deployment name and tags, and whether it needs someone's approval.

Templates take `{number}`, `{sha}`, `{sha7}` and `{branch}`; `{branch}` is slugged to what the
target allows (a tag keeps case, '_' and '.'; a deployment name is a lowercase DNS label), so
`features/Login` gives the tag `features-Login` and the name `features-login`.
"""

from __future__ import annotations

import re
import string

import msgspec

from core.domain.tags import check_tag
from core.errors import InvalidInput
from core.validation import dns_label

PLACEHOLDERS = ("number", "sha", "sha7", "branch")
FORGES = ("github", "gitlab", "gitea")
APPROVAL_NOT_NEEDED, APPROVAL_PENDING = "not_needed", "pending"
APPROVED, REJECTED = "approved", "rejected"
_NOT_TAG = re.compile(r"[^A-Za-z0-9_.-]+")
_NOT_LABEL = re.compile(r"[^a-z0-9-]+")


def webhook_secret_context(rule_id: int) -> str:
    """The associated data a rule's webhook secret is sealed with (core.crypto)."""
    return f"preview_rule.webhook_secret:{rule_id}"


def api_token_context(rule_id: int) -> str:
    return f"preview_rule.api_token:{rule_id}"


class PreviewRef(msgspec.Struct, kw_only=True):
    """One pull request at one head commit, as every forge (or a registry push) describes it.
    `tags` overrides rendered tags per service node id (a registry push names its own tag)."""

    number: int
    branch: str = ""
    head_sha: str = ""
    author: str = ""
    title: str = ""
    url: str = ""
    source_repository: str = ""
    is_fork: bool = False
    tags: dict[str, str] = {}


def check_template(template: str, field: str) -> str:
    """Refuse a template naming anything but the known placeholders (or malformed braces)."""
    try:
        names = [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
    except ValueError:
        raise InvalidInput("Unbalanced '{' or '}' in the template.", field) from None
    for name in names:
        if name not in PLACEHOLDERS:
            known = ", ".join("{" + p + "}" for p in PLACEHOLDERS)
            raise InvalidInput(f"Unknown placeholder {{{name}}}; use {known}.", field)
    return template


def _values(ref: PreviewRef, slug: re.Pattern[str], lower: bool) -> dict[str, str]:
    branch = ref.branch.lower() if lower else ref.branch
    return {
        "number": str(ref.number),
        "sha": ref.head_sha,
        "sha7": ref.head_sha[:7],
        "branch": slug.sub("-", branch).strip("-."),
    }


def render_tag(template: str, ref: PreviewRef, field: str) -> str:
    """The tag a template gives for this ref; InvalidInput when the result is not a valid tag
    (say `sha-{sha7}` for an event without a commit)."""
    tag = check_template(template, field).format(**_values(ref, _NOT_TAG, lower=False))
    try:
        return check_tag(tag[:128], field)
    except InvalidInput as exc:
        raise InvalidInput(
            f"'{template}' renders '{tag}', not a valid tag: {exc.detail}", field
        ) from None


def render_name(template: str, ref: PreviewRef) -> str:
    name = check_template(template, "name_template").format(**_values(ref, _NOT_LABEL, True))
    name = _NOT_LABEL.sub("-", name.lower())[:63].strip("-")
    try:
        return dns_label(name, "name_template")
    except InvalidInput:
        raise InvalidInput(
            f"'{template}' renders '{name}', not a valid deployment name.", "name_template"
        ) from None


def render_tags(
    templates: dict[str, str], defaults: dict[str, str], ref: PreviewRef
) -> dict[str, str]:
    """Defaults first, then each templated service, then what the ref names itself."""
    tags = dict(defaults)
    for node_id, template in templates.items():
        tags[node_id] = render_tag(template, ref, f"tag_templates.{node_id}")
    for node_id, tag in ref.tags.items():
        tags[node_id] = check_tag(tag, f"tags.{node_id}")
    return tags


def needs_approval(ref: PreviewRef, allowed_authors: list[str], allow_forks: bool) -> bool:
    """Outsiders wait for a person: with an allow-list, anyone not on it; a fork, unless the
    rule trusts forks or its author is listed. Case-insensitive, as forge logins are."""
    listed = {author.lower() for author in allowed_authors}
    if ref.author.lower() in listed:
        return False
    if ref.is_fork and not allow_forks:
        return True
    return bool(listed)
