"""Rendered deployment rows: escaped once, reused while unchanged, re-rendered on change."""

import re
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

from markupsafe import Markup

from web.templating import DEPLOYMENT_ROW_FIELDS, DEPLOYMENT_ROW_MAPPINGS, make_template_engine

TEMPLATES = Path(__file__).resolve().parents[3] / "web" / "templates"


def deployment(**changes):
    values = {
        "id": 7,
        "name": "pr-7",
        "project_name": "shop <b>&</b>",
        "environment_name": "qa",
        "status": "running",
        "expires_at": datetime(2026, 11, 30, 12, 0, tzinfo=UTC),
        "created_by": "quinn",
        "tags": {"web": "v2", "api": "1.4"},
        "urls": {"web": "http://web.pr-7.qa.localhost:8880"},
        "scheduled": None,
    }
    return SimpleNamespace(**{**values, **changes})


def rows_function():
    return make_template_engine(TEMPLATES).engine.globals["deployment_rows"]


def test_rows_are_escaped_markup_with_every_field():
    html = rows_function()([deployment()])
    assert isinstance(html, Markup)
    assert "shop &lt;b&gt;&amp;&lt;/b&gt;" in html and "<b>" not in html
    assert 'href="/deployments/7">pr-7<' in html and 'class="badge running"' in html
    assert 'data-expires="2026-11-30T12:00:00+00:00"' in html and "quinn" in html


def test_an_unchanged_row_is_reused_and_any_shown_field_makes_a_new_one():
    rows = rows_function()
    first = rows([deployment(), deployment(id=8, name="pr-8")])
    assert rows([deployment(), deployment(id=8, name="pr-8")]) == first
    assert rows.cached == 2
    for field, value in (("status", "deleting"), ("created_by", None), ("name", "pr-9")):
        changed = rows([deployment(**{field: value})])
        assert changed != rows([deployment()])
    assert 'class="badge deleting"' in rows([deployment(status="deleting")])
    assert "countdown" not in rows([deployment(status="deleting")])  # no timer once going
    assert rows.cached == 5


def test_each_service_shows_its_tag_and_its_url_when_it_has_one():
    html = rows_function()([deployment()])
    assert 'href="http://web.pr-7.qa.localhost:8880"' in html and "<code>v2</code>" in html
    assert 'data-copy="http://web.pr-7.qa.localhost:8880"' in html  # its copy button
    assert "api <code>1.4</code>" in html  # no URL: the name alone


def test_a_changed_tag_or_url_makes_a_new_row_and_key_order_does_not():
    rows = rows_function()
    first = rows([deployment()])
    assert rows([deployment(tags={"api": "1.4", "web": "v2"})]) == first  # same pairs
    assert rows.cached == 1
    assert "<code>v3</code>" in rows([deployment(tags={"web": "v3", "api": "1.4"})])
    assert "web.pr-7.qa.example.com" in rows(
        [deployment(urls={"web": "http://web.pr-7.qa.example.com"})]
    )
    assert "http://web" not in rows([deployment(urls={})])
    assert rows.cached == 4


def test_a_sleeping_row_says_when_its_schedule_wakes_it():
    rows = rows_function()
    plain = rows([deployment(status="sleeping")])
    wakes = ("wakes", datetime(2026, 12, 1, 7, 0, tzinfo=UTC))
    html = rows([deployment(status="sleeping", scheduled=wakes)])
    assert html != plain and 'class="badge sleeping"' in html
    assert 'wakes <time datetime="2026-12-01T07:00:00+00:00">2026-12-01 07:00 UTC</time>' in html
    assert "wakes" not in plain


def test_the_key_is_every_field_the_row_template_reads():
    # A field the row shows but the key lacks would serve stale rows: keep them in step.
    row_template = (TEMPLATES / "partials" / "deployments" / "row.html").read_text()
    used = set(re.findall(r"row\.(\w+)", row_template))
    assert used == set(DEPLOYMENT_ROW_FIELDS)
    assert set(DEPLOYMENT_ROW_MAPPINGS) <= used


def test_the_cache_is_bounded():
    from jinja2 import Environment, FileSystemLoader

    from web.row_cache import RowCache

    rows = RowCache(
        Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True),
        "partials/deployments/row.html",
        fields=DEPLOYMENT_ROW_FIELDS,
        size=3,
        mappings=DEPLOYMENT_ROW_MAPPINGS,
    )
    rows([deployment(id=i) for i in range(10)])
    assert rows.cached == 3
