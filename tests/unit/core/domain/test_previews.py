"""Preview templates and the outsider rule."""

from __future__ import annotations

import pytest

from core.domain import previews as rules
from core.domain.previews import PreviewRef
from core.errors import InvalidInput

REF = PreviewRef(number=42, branch="features/Login_v2", head_sha="0123456789abcdef", author="Ann")


@pytest.mark.parametrize(
    ("template", "tag"),
    [
        ("pr-{number}", "pr-42"),
        ("sha-{sha7}", "sha-0123456"),
        ("{branch}", "features-Login_v2"),
        ("{sha}", "0123456789abcdef"),
    ],
)
def test_tag_templates_render_valid_tags(template, tag):
    assert rules.render_tag(template, REF, "f") == tag


@pytest.mark.parametrize(
    ("template", "ref"),
    [("{branch}", PreviewRef(number=1, branch="///")), ("{sha7}", PreviewRef(number=1))],
)
def test_a_template_that_renders_an_invalid_tag_is_refused(template, ref):
    with pytest.raises(InvalidInput, match="not a valid tag"):
        rules.render_tag(template, ref, "tag_templates.web")


@pytest.mark.parametrize("template", ["pr-{title}", "pr-{number", "pr-{0}"])
def test_unknown_placeholders_and_bad_braces_are_refused(template):
    with pytest.raises(InvalidInput):
        rules.check_template(template, "f")


def test_names_are_dns_labels():
    assert rules.render_name("pr-{number}", REF) == "pr-42"
    assert rules.render_name("{branch}", REF) == "features-login-v2"
    with pytest.raises(InvalidInput):
        rules.render_name("{branch}", PreviewRef(number=1, branch="___"))


def test_rendered_tags_take_defaults_then_templates_then_what_the_ref_names():
    tags = rules.render_tags({"web": "pr-{number}"}, {"web": "latest", "api": "1.0"}, REF)
    assert tags == {"web": "pr-42", "api": "1.0"}
    pushed = PreviewRef(number=7, tags={"api": "pr-7"})
    assert rules.render_tags({}, {"api": "1.0"}, pushed) == {"api": "pr-7"}


@pytest.mark.parametrize(
    ("is_fork", "author", "allowed", "allow_forks", "held"),
    [
        (False, "ann", [], False, False),
        (True, "ann", [], False, True),
        (True, "ann", [], True, False),
        (True, "Ann", ["ann"], False, False),  # a listed author, even from a fork
        (False, "bob", ["ann"], False, True),
        (False, "bob", ["ann"], True, True),
    ],
)
def test_outsiders_need_approval(is_fork, author, allowed, allow_forks, held):
    ref = PreviewRef(number=1, author=author, is_fork=is_fork)
    assert rules.needs_approval(ref, allowed, allow_forks) is held
