"""Parsing `${{ … }}` references: each form, and each way one can be malformed."""

import pytest

from core.domain.references import MalformedReference, Reference, parse_text, scan


def test_each_form_is_found_in_order():
    text = (
        "postgres://${{ secrets.DB_USER }}@${{nodes.db-setup.outputs.host}}/"
        "${{ deployment.name }}?api=${{ urls.api }}"
    )
    assert [(r.kind, r.name, r.key) for r in parse_text(text)] == [
        ("secrets", "DB_USER", ""),
        ("nodes", "db-setup", "host"),
        ("deployment", "name", ""),
        ("urls", "api", ""),
    ]


def test_output_keys_may_hold_dots_like_the_agent_reads_them():
    (ref,) = parse_text("${{ nodes.a.outputs.conn.url }}")
    assert ref == Reference("nodes", "a", "conn.url", "${{ nodes.a.outputs.conn.url }}")


def test_plain_text_and_lone_braces_are_not_references():
    assert parse_text("cost: $5 {{ not ours }} ${ HOME }") == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("${{ secrets.DB", "has no closing '}}'"),
        ("${{ secrets.A ${{ secrets.B }}", "has no closing '}}'"),
        ("${{ secret.DB }}", "is not a reference Shoal knows"),
        ("${{ secrets.1BAD }}", "is not a reference Shoal knows"),
        ("${{ nodes.db.output.url }}", "is not a reference Shoal knows"),
        ("${{ nodes.Db.outputs.url }}", "is not a reference Shoal knows"),
        ("${{ urls.api.extra }}", "is not a reference Shoal knows"),
        ("${{ }}", "is not a reference Shoal knows"),
        ("${{ deployment.owner }}", "a deployment has name, id, environment, not 'owner'"),
    ],
)
def test_malformed_references_are_errors(text, message):
    with pytest.raises(MalformedReference, match=message.replace("(", r"\(").replace("{", r"\{")):
        parse_text(text)


def test_scan_walks_nested_config_and_reports_where():
    config = {"env": {"A": "${{ secrets.X }}", "B": "${{ oops }}"}, "list": ["${{ urls.web }}"]}
    found, problems = scan(config)
    assert [(where, ref.kind) for where, ref in found] == [
        ("env.A", "secrets"),
        ("list[0]", "urls"),
    ]
    assert len(problems) == 1 and problems[0][0] == "env.B"
    assert problems[0][1].startswith("env.B: '${{ oops }}'")
