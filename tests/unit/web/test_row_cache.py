"""Rendered deployment rows: escaped once, reused while unchanged, re-rendered on change."""

import re
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

from markupsafe import Markup

from web.templating import DEPLOYMENT_ROW_FIELDS, make_template_engine

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


def test_the_key_is_every_field_the_row_template_reads():
    # A field the row shows but the key lacks would serve stale rows: keep them in step.
    row_template = (TEMPLATES / "partials" / "deployments" / "row.html").read_text()
    used = set(re.findall(r"row\.(\w+)", row_template))
    assert used == set(DEPLOYMENT_ROW_FIELDS)


def test_the_cache_is_bounded():
    from jinja2 import Environment, FileSystemLoader

    from web.row_cache import RowCache

    rows = RowCache(
        Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True),
        "partials/deployments/row.html",
        fields=DEPLOYMENT_ROW_FIELDS,
        size=3,
    )
    rows([deployment(id=i) for i in range(10)])
    assert rows.cached == 3
